#include <gtest/gtest.h>

#include "sandbox/cpu_placement.h"

namespace paddock {
namespace {

CpuMask mask_of(std::initializer_list<int> cpus) {
  CpuMask m;
  CPU_ZERO(&m.set);
  for (int c : cpus) CPU_SET(c, &m.set);
  return m;
}

TEST(CpuPlacement, EveryCpuButOurs) {
  auto m = mask_without(mask_of({0, 1, 2, 5}), 1);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(CPU_ISSET(0, &m->set));
  EXPECT_FALSE(CPU_ISSET(1, &m->set));
  EXPECT_TRUE(CPU_ISSET(2, &m->set));
  EXPECT_TRUE(CPU_ISSET(5, &m->set));
  EXPECT_EQ(CPU_COUNT(&m->set), 3);
}

TEST(CpuPlacement, NothingLeftMeansNoMove) {
  EXPECT_FALSE(mask_without(mask_of({3}), 3).has_value());
  // A CPU outside the mask (the supervisor moved meanwhile): the mask as it is.
  auto m = mask_without(mask_of({3}), 4);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(CPU_COUNT(&m->set), 1);
  EXPECT_TRUE(mask_without(mask_of({0, 1}), -1).has_value());
}

TEST(CpuPlacement, RestoresTheWholeMask) {
  auto before = current_cpu_mask();
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(restore_cpu_mask(*before).ok());
  auto after = current_cpu_mask();
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(CPU_EQUAL(&before->set, &after->set));
}

}  // namespace
}  // namespace paddock
