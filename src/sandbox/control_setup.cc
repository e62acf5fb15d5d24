#include "sandbox/control_setup.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "control/ctl_dir.h"

namespace paddock {

ControlLink prepare_control(proxy::NetworkRules& network, const std::string& project,
                            const std::vector<std::string>& argv) {
  ControlLink c;
  c.live = std::make_shared<proxy::LiveRules>();
  c.recent = std::make_shared<control::RecentDenials>();
  network.set_live(c.live);
  if (auto id = control::new_id())
    c.info.id = std::move(*id);
  else
    c.warnings.push_back(id.error().message());
  c.info.pid = ::getpid();
  c.info.started = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  c.info.project = project;
  c.info.command = argv;
  return c;
}

void ControlLink::attach(proxy::NetworkRules rules,
                         const std::shared_ptr<proxy::AskBroker>& broker) {
  control = std::make_shared<control::RunControl>(info, std::move(rules), live, broker, recent);
  // Raw: the broker calls it only from the proxy's sessions, which are gone before this link is.
  if (broker)
    broker->set_standing(
        [c = control.get()](const proxy::AskSubject& s) { return c->standing(s); });
}

std::function<void(const proxy::AuditRecord&)> ControlLink::network_sink(
    std::function<void(const proxy::AuditRecord&)> next) const {
  return [recent = recent, next = std::move(next)](const proxy::AuditRecord& r) {
    control::Denial d;
    d.time = r.time;
    d.network = true;
    // IPv6 in brackets before the port, as in the exit summary.
    const std::string host = r.host.find(':') != std::string::npos ? "[" + r.host + "]" : r.host;
    d.what = std::string(proxy::protocol_name(r.protocol)) + " " + host +
             (r.port ? ":" + std::to_string(r.port) : "");
    d.rule = r.rule;
    recent->add(std::move(d));
    if (next) next(r);
  };
}

mediator::Records::Sink ControlLink::mediator_sink(mediator::Records::Sink next) const {
  return [recent = recent, next = std::move(next)](const std::string& what, const std::string& path,
                                                   const std::string& reason) {
    control::Denial d;
    d.time = std::chrono::system_clock::now();
    d.network = mediator::Records::is_socket_call(what);
    d.what = path.empty() ? what : what + " " + path;
    d.rule = reason;
    recent->add(std::move(d));
    if (next) next(what, path, reason);
  };
}

std::unique_ptr<control::ControlServer> ControlLink::serve(const std::vector<std::string>& writable,
                                                           bool quiet, bool debug) {
  auto warn = [quiet](const std::string& why) { control::warn_no_control_socket(why, quiet); };
  for (const auto& w : warnings) warn(w);
  if (info.id.empty() || !control) return nullptr;
  control::ServerOptions opts;
  if (const char* x = std::getenv("XDG_RUNTIME_DIR")) opts.xdg_runtime_dir = x;
  opts.sandbox_writable = writable;
  opts.quiet = quiet;
  opts.debug = debug;
  auto s = control::ControlServer::start(control, info.id, std::move(opts));
  if (!s) {
    warn(s.error().message());
    return nullptr;
  }
  return std::move(*s);
}

}  // namespace paddock
