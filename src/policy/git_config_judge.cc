#include "policy/git_config_judge.h"

#include <cstdio>
#include <optional>
#include <unordered_set>
#include <utility>

#include "base/ascii.h"

namespace paddock {
namespace {

// Which entries a rule covers, by subsection.
enum class Sub : unsigned char {
  kNone,    // section.key
  kAny,     // section.<any subsection>.key
  kEither,  // with or without a subsection
  kExact,   // section.<this subsection>.key
};

enum class Act : unsigned char {
  kAllow,
  kRefuse,
  kUrl,             // a URL git connects to: url_allowed decides
  kRemoteName,      // a remote's name, or a URL when no such remote exists
  kWorktree,        // core.worktree: worktree_allowed decides
  kSubmoduleUpdate  // checkout, rebase, merge or none; "!command" runs a command
};

// What a refused key would let the sandbox do, for the warnings about git.allowConfigKeys.
enum class Risk : unsigned char {
  kNone,
  kRunsProgram,
  kSendsElsewhere,
  kReadsConfig,
  kWritesElsewhere,
  kWeakensChecks,
};

struct Rule {
  std::string_view section;
  Sub sub;
  std::string_view subsection;  // kExact
  std::string_view key;         // as git's documentation spells it; "*" for any key
  Act act;
  Risk risk;
  std::string_view reason;  // completes "<key> ...": "runs a program: the pager"
};

constexpr Rule allow(std::string_view section, std::string_view key, Sub sub = Sub::kNone,
                     std::string_view subsection = {}) {
  return Rule{section, sub, subsection, key, Act::kAllow, Risk::kNone, {}};
}
constexpr Rule refuse(std::string_view section, std::string_view key, Risk risk,
                      std::string_view reason, Sub sub = Sub::kNone,
                      std::string_view subsection = {}) {
  return Rule{section, sub, subsection, key, Act::kRefuse, risk, reason};
}
constexpr Rule special(std::string_view section, std::string_view key, Act act, Risk risk,
                       Sub sub = Sub::kNone, std::string_view subsection = {}) {
  return Rule{section, sub, subsection, key, act, risk, {}};
}

constexpr Risk kRun = Risk::kRunsProgram;
constexpr Risk kNet = Risk::kSendsElsewhere;
constexpr Risk kConf = Risk::kReadsConfig;
constexpr Risk kWrite = Risk::kWritesElsewhere;
constexpr Risk kTrust = Risk::kWeakensChecks;

constexpr std::string_view kDiffTool = "chooses the program git difftool runs";
constexpr std::string_view kMergeTool = "chooses the program git mergetool runs";
constexpr std::string_view kStrategy = "chooses a merge strategy program (git-merge-NAME)";
constexpr std::string_view kHttpTrust = "changes which servers git trusts over HTTPS";

// A repository's config. First match wins: within a section, refusals come before the allows
// that would otherwise cover them. A key no rule covers is refused. docs/GIT.md gives each
// group's reason; keep the two in step.
constexpr Rule kRepositoryRules[] = {
    // --- core ---------------------------------------------------------------------------
    refuse("core", "fsmonitor", kRun, "runs a program: a file system monitor hook or daemon"),
    refuse("core", "hooksPath", kRun, "names the directory git runs hooks from"),
    refuse("core", "sshCommand", kRun, "runs a program instead of ssh"),
    refuse("core", "gitProxy", kRun, "runs a program: a proxy command for git://"),
    refuse("core", "askPass", kRun, "runs a program to ask for passwords"),
    refuse("core", "editor", kRun, "runs a program: the editor"),
    refuse("core", "pager", kRun, "runs a program: the pager"),
    refuse("core", "alternateRefsCommand", kRun, "runs a shell command"),
    refuse("core", "sharedRepository", kTrust,
           "makes git create repository files that other users can write"),
    refuse("core", "protectHFS", kTrust,
           "turns off git's refusal of paths that reach .git on other file systems"),
    refuse("core", "protectNTFS", kTrust,
           "turns off git's refusal of paths that reach .git on other file systems"),
    special("core", "worktree", Act::kWorktree, kWrite),
    allow("core", "repositoryFormatVersion"),
    allow("core", "bare"),
    allow("core", "fileMode"),
    allow("core", "symlinks"),
    allow("core", "ignoreCase"),
    allow("core", "precomposeUnicode"),
    allow("core", "hideDotFiles"),
    allow("core", "logAllRefUpdates"),
    allow("core", "trustctime"),
    allow("core", "checkStat"),
    allow("core", "splitIndex"),
    allow("core", "untrackedCache"),
    allow("core", "fsmonitorHookVersion"),
    allow("core", "quotePath"),
    allow("core", "eol"),
    allow("core", "safecrlf"),
    allow("core", "autocrlf"),
    allow("core", "checkRoundtripEncoding"),
    allow("core", "ignoreStat"),
    allow("core", "preferSymlinkRefs"),
    allow("core", "alternateRefsPrefixes"),
    allow("core", "warnAmbiguousRefs"),
    allow("core", "compression"),
    allow("core", "looseCompression"),
    allow("core", "packedGitWindowSize"),
    allow("core", "packedGitLimit"),
    allow("core", "deltaBaseCacheLimit"),
    allow("core", "bigFileThreshold"),
    allow("core", "excludesFile"),
    allow("core", "attributesFile"),
    allow("core", "commentChar"),
    allow("core", "filesRefLockTimeout"),
    allow("core", "packedRefsTimeout"),
    allow("core", "whitespace"),
    allow("core", "fsync"),
    allow("core", "fsyncMethod"),
    allow("core", "fsyncObjectFiles"),
    allow("core", "preloadIndex"),
    allow("core", "createObject"),
    allow("core", "notesRef"),
    allow("core", "commitGraph"),
    allow("core", "useReplaceRefs"),
    allow("core", "multiPackIndex"),
    allow("core", "sparseCheckout"),
    allow("core", "sparseCheckoutCone"),
    allow("core", "abbrev"),
    allow("extensions", "objectFormat"),
    allow("extensions", "worktreeConfig"),
    allow("extensions", "partialClone"),
    allow("extensions", "preciousObjects"),
    allow("extensions", "noop"),

    // --- programs, commands and other config files ----------------------------------------
    refuse("alias", "*", kRun,
           "defines a git command: an alias can run a shell command or set "
           "any config with -c",
           Sub::kEither),
    refuse("include", "*", kConf, "makes git read another config file", Sub::kEither),
    refuse("includeIf", "*", kConf, "makes git read another config file", Sub::kEither),
    refuse("filter", "*", kRun, "runs a program on file contents (a clean or smudge filter)",
           Sub::kEither),
    refuse("credential", "*", kRun,
           "configures credential helpers, programs that are handed passwords", Sub::kEither),
    refuse("credentialCache", "*", kRun, "configures a credential helper", Sub::kEither),
    refuse("credentialStore", "*", kRun, "configures a credential helper", Sub::kEither),
    refuse("pager", "*", kRun, "runs a program: a pager", Sub::kEither),
    refuse("sequence", "editor", kRun, "runs a program: the rebase todo editor"),
    refuse("web", "browser", kRun, "runs a program: a web browser"),
    refuse("browser", "*", kRun, "runs a program: a web browser", Sub::kEither),
    refuse("instaweb", "*", kRun, "runs a web server and a browser", Sub::kEither),
    refuse("man", "*", kRun, "runs a program: a manual page viewer", Sub::kEither),
    refuse("help", "browser", kRun, "runs a program: a web browser"),
    refuse("help", "htmlPath", kNet, "names the documentation a browser opens"),
    allow("help", "format"),
    allow("help", "autoCorrect"),
    refuse("difftool", "*", kRun, "runs a program: a diff tool", Sub::kEither),
    refuse("mergetool", "*", kRun, "runs a program: a merge tool", Sub::kEither),
    refuse("guitool", "*", kRun, "runs a program from git gui", Sub::kEither),
    refuse("sendemail", "*", kRun, "sends mail and can run programs (smtpServer, toCmd, ccCmd)",
           Sub::kEither),
    refuse("imap", "*", kRun, "sends mail and can run a program (imap.tunnel)", Sub::kEither),
    refuse("trace2", "*", kWrite, "makes git write traces to files or sockets", Sub::kEither),
    refuse("fsmonitor", "*", kRun, "configures the file system monitor daemon", Sub::kEither),
    refuse("uploadpack", "*", kRun,
           "configures upload-pack, which can run a command (packObjectsHook)", Sub::kEither),
    refuse("uploadpackfilter", "*", kRun, "configures upload-pack", Sub::kEither),
    refuse("receive", "*", kRun,
           "configures receive-pack, which runs hooks when someone pushes into this repository",
           Sub::kEither),
    refuse("tar", "command", kRun, "runs a command: an archive filter", Sub::kAny),
    allow("tar", "umask"),
    refuse("interactive", "diffFilter", kRun, "runs a program: a diff filter"),
    allow("interactive", "singleKey"),
    refuse("init", "templateDir", kRun,
           "makes git copy hooks from another directory into repositories"),
    allow("init", "defaultBranch"),
    refuse("gpg", "program", kRun, "runs a program: the signing program"),
    refuse("gpg", "program", kRun, "runs a program: the signing program", Sub::kAny),
    refuse("gpg", "defaultKeyCommand", kRun, "runs a command", Sub::kExact, "ssh"),
    allow("gpg", "format"),
    allow("gpg", "minTrustLevel"),
    allow("gpg", "allowedSignersFile", Sub::kExact, "ssh"),
    allow("gpg", "revocationFile", Sub::kExact, "ssh"),

    // --- diff and merge -----------------------------------------------------------------
    refuse("diff", "command", kRun, "runs a program: a diff driver", Sub::kAny),
    refuse("diff", "textconv", kRun, "runs a program: a text conversion filter", Sub::kAny),
    allow("diff", "xfuncname", Sub::kAny),
    allow("diff", "binary", Sub::kAny),
    allow("diff", "wordRegex", Sub::kAny),
    allow("diff", "cachetextconv", Sub::kAny),
    refuse("diff", "external", kRun, "runs a program: an external diff"),
    refuse("diff", "tool", kRun, kDiffTool),
    refuse("diff", "guitool", kRun, kDiffTool),
    allow("diff", "autoRefreshIndex"),
    allow("diff", "dirstat"),
    allow("diff", "statGraphWidth"),
    allow("diff", "context"),
    allow("diff", "interHunkContext"),
    allow("diff", "ignoreSubmodules"),
    allow("diff", "mnemonicPrefix"),
    allow("diff", "noprefix"),
    allow("diff", "relative"),
    allow("diff", "orderFile"),
    allow("diff", "renameLimit"),
    allow("diff", "renames"),
    allow("diff", "suppressBlankEmpty"),
    allow("diff", "submodule"),
    allow("diff", "wordRegex"),
    allow("diff", "indentHeuristic"),
    allow("diff", "algorithm"),
    allow("diff", "wsErrorHighlight"),
    allow("diff", "colorMoved"),
    allow("diff", "colorMovedWS"),
    refuse("merge", "driver", kRun, "runs a program: a merge driver", Sub::kAny),
    allow("merge", "name", Sub::kAny),
    allow("merge", "recursive", Sub::kAny),
    refuse("merge", "tool", kRun, kMergeTool),
    refuse("merge", "guitool", kRun, kMergeTool),
    allow("merge", "conflictStyle"),
    allow("merge", "defaultToUpstream"),
    allow("merge", "ff"),
    allow("merge", "verifySignatures"),
    allow("merge", "branchdesc"),
    allow("merge", "log"),
    allow("merge", "suppressDest"),
    allow("merge", "renameLimit"),
    allow("merge", "renames"),
    allow("merge", "directoryRenames"),
    allow("merge", "renormalize"),
    allow("merge", "stat"),
    allow("merge", "autoStash"),
    allow("merge", "verbosity"),
    refuse("pull", "twohead", kRun, kStrategy),
    refuse("pull", "octopus", kRun, kStrategy),
    allow("pull", "ff"),
    allow("pull", "rebase"),

    // --- where git connects -------------------------------------------------------------
    refuse("url", "*", kNet, "rewrites the URLs git connects to", Sub::kEither),
    refuse("protocol", "*", kNet, "decides which transports git may use (ext:: runs commands)",
           Sub::kAny),
    refuse("protocol", "allow", kNet, "decides which transports git may use (ext:: runs commands)"),
    allow("protocol", "version"),
    refuse("remote", "uploadpack", kRun, "runs a program: the upload-pack command", Sub::kAny),
    refuse("remote", "receivepack", kRun, "runs a program: the receive-pack command", Sub::kAny),
    refuse("remote", "vcs", kRun, "runs a program: the remote helper git-remote-VCS", Sub::kAny),
    refuse("remote", "proxy", kNet, "sends git's traffic through another host", Sub::kAny),
    special("remote", "url", Act::kUrl, kNet, Sub::kAny),
    special("remote", "pushurl", Act::kUrl, kNet, Sub::kAny),
    allow("remote", "fetch", Sub::kAny),
    allow("remote", "push", Sub::kAny),
    allow("remote", "mirror", Sub::kAny),
    allow("remote", "skipDefaultUpdate", Sub::kAny),
    allow("remote", "skipFetchAll", Sub::kAny),
    allow("remote", "tagOpt", Sub::kAny),
    allow("remote", "prune", Sub::kAny),
    allow("remote", "pruneTags", Sub::kAny),
    allow("remote", "promisor", Sub::kAny),
    allow("remote", "partialclonefilter", Sub::kAny),
    allow("remote", "proxyAuthMethod", Sub::kAny),
    special("remote", "pushDefault", Act::kRemoteName, kNet),
    refuse("remotes", "*", kNet, "names groups of remotes, which may be URLs", Sub::kEither),
    special("branch", "remote", Act::kRemoteName, kNet, Sub::kAny),
    special("branch", "pushRemote", Act::kRemoteName, kNet, Sub::kAny),
    refuse("branch", "mergeOptions", kRun, "passes options to git merge", Sub::kAny),
    allow("branch", "merge", Sub::kAny),
    allow("branch", "rebase", Sub::kAny),
    allow("branch", "description", Sub::kAny),
    allow("branch", "autoSetupMerge"),
    allow("branch", "autoSetupRebase"),
    allow("branch", "sort"),
    special("submodule", "url", Act::kUrl, kNet, Sub::kAny),
    special("submodule", "update", Act::kSubmoduleUpdate, kRun, Sub::kAny),
    allow("submodule", "branch", Sub::kAny),
    allow("submodule", "fetchRecurseSubmodules", Sub::kAny),
    allow("submodule", "ignore", Sub::kAny),
    allow("submodule", "active", Sub::kAny),
    allow("submodule", "path", Sub::kAny),
    allow("submodule", "shallow", Sub::kAny),
    allow("submodule", "active"),
    allow("submodule", "recurse"),
    allow("submodule", "propagateBranches"),
    allow("submodule", "fetchJobs"),
    allow("submodule", "alternateLocation"),
    allow("submodule", "alternateErrorStrategy"),
    refuse("bundle", "*", kNet, "names URIs git downloads bundles from", Sub::kEither),
    allow("http", "postBuffer", Sub::kEither),
    allow("http", "lowSpeedLimit", Sub::kEither),
    allow("http", "lowSpeedTime", Sub::kEither),
    allow("http", "maxRequests", Sub::kEither),
    allow("http", "minSessions", Sub::kEither),
    allow("http", "version", Sub::kEither),
    refuse("http", "proxy", kNet, "sends git's HTTP traffic through another host", Sub::kEither),
    refuse("http", "curloptResolve", kNet, "points host names at other addresses", Sub::kEither),
    refuse("http", "sslVerify", kTrust, kHttpTrust, Sub::kEither),
    refuse("http", "sslCAInfo", kTrust, kHttpTrust, Sub::kEither),
    refuse("http", "sslCAPath", kTrust, kHttpTrust, Sub::kEither),
    refuse("http", "pinnedPubkey", kTrust, kHttpTrust, Sub::kEither),
    refuse("http", "extraHeader", kNet, "adds headers, such as credentials, to git's requests",
           Sub::kEither),
    refuse("http", "cookieFile", kWrite, "makes git read and write a cookie file", Sub::kEither),
    refuse("http", "*", kTrust, "changes how git connects over HTTP", Sub::kEither),

    // --- data about this repository: history, branches, output --------------------------
    allow("user", "name"),
    allow("user", "email"),
    allow("user", "useConfigOnly"),
    allow("user", "signingKey"),
    allow("author", "name"),
    allow("author", "email"),
    allow("committer", "name"),
    allow("committer", "email"),
    allow("advice", "*"),
    allow("color", "*", Sub::kEither),
    allow("column", "*"),
    allow("add", "ignoreErrors"),
    allow("add", "ignore-errors"),
    allow("add", "useBuiltin", Sub::kExact, "interactive"),
    allow("am", "keepcr"),
    allow("am", "threeWay"),
    allow("apply", "ignoreWhitespace"),
    allow("apply", "whitespace"),
    allow("blame", "blankBoundary"),
    allow("blame", "coloring"),
    allow("blame", "date"),
    allow("blame", "showEmail"),
    allow("blame", "showRoot"),
    allow("blame", "ignoreRevsFile"),
    allow("blame", "markUnblamableLines"),
    allow("blame", "markIgnoredLines"),
    allow("checkout", "defaultRemote"),
    allow("checkout", "guess"),
    allow("checkout", "workers"),
    allow("checkout", "thresholdForParallelism"),
    allow("clean", "requireForce"),
    allow("clone", "defaultRemoteName"),
    allow("clone", "rejectShallow"),
    allow("clone", "filterSubmodules"),
    allow("commit", "cleanup"),
    allow("commit", "gpgSign"),
    allow("commit", "status"),
    allow("commit", "template"),
    allow("commit", "verbose"),
    allow("commitGraph", "generationVersion"),
    allow("commitGraph", "maxNewFilters"),
    allow("commitGraph", "readChangedPaths"),
    allow("completion", "commands"),
    allow("fastimport", "unpackLimit"),
    allow("feature", "experimental"),
    allow("feature", "manyFiles"),
    allow("fetch", "recurseSubmodules"),
    allow("fetch", "fsckObjects"),
    allow("fetch", "*", Sub::kExact, "fsck"),
    allow("fetch", "unpackLimit"),
    allow("fetch", "prune"),
    allow("fetch", "pruneTags"),
    allow("fetch", "output"),
    allow("fetch", "negotiationAlgorithm"),
    allow("fetch", "showForcedUpdates"),
    allow("fetch", "parallel"),
    allow("fetch", "writeCommitGraph"),
    refuse("format", "outputDirectory", kWrite,
           "makes git format-patch write files into another directory"),
    allow("format", "attach"),
    allow("format", "from"),
    allow("format", "forceInBodyFrom"),
    allow("format", "numbered"),
    allow("format", "headers"),
    allow("format", "to"),
    allow("format", "cc"),
    allow("format", "subjectPrefix"),
    allow("format", "coverFromDescription"),
    allow("format", "signature"),
    allow("format", "signatureFile"),
    allow("format", "suffix"),
    allow("format", "encodeEmailHeaders"),
    allow("format", "pretty"),
    allow("format", "thread"),
    allow("format", "signOff"),
    allow("format", "coverLetter"),
    allow("format", "filenameMaxLength"),
    allow("format", "useAutoBase"),
    allow("format", "notes"),
    allow("fsck", "*"),
    allow("gc", "aggressiveDepth"),
    allow("gc", "aggressiveWindow"),
    allow("gc", "auto"),
    allow("gc", "autoPackLimit"),
    allow("gc", "autoDetach"),
    allow("gc", "bigPackThreshold"),
    allow("gc", "writeCommitGraph"),
    allow("gc", "logExpiry"),
    allow("gc", "packRefs"),
    allow("gc", "cruftPacks"),
    allow("gc", "pruneExpire"),
    allow("gc", "worktreePruneExpire"),
    allow("gc", "reflogExpire", Sub::kEither),
    allow("gc", "reflogExpireUnreachable", Sub::kEither),
    allow("gc", "rerereResolved"),
    allow("gc", "rerereUnresolved"),
    allow("grep", "lineNumber"),
    allow("grep", "column"),
    allow("grep", "patternType"),
    allow("grep", "extendedRegexp"),
    allow("grep", "threads"),
    allow("grep", "fullName"),
    allow("grep", "fallbackToNoIndex"),
    allow("gui", "commitMsgWidth"),
    allow("gui", "diffContext"),
    allow("gui", "displayUntracked"),
    allow("gui", "encoding"),
    allow("gui", "matchTrackingBranch"),
    allow("gui", "newBranchTemplate"),
    allow("gui", "pruneDuringFetch"),
    allow("gui", "trustmtime"),
    allow("gui", "spellingDictionary"),
    allow("gui", "fastCopyBlame"),
    allow("gui", "copyBlameThreshold"),
    allow("gui", "blamehistoryctx"),
    allow("i18n", "commitEncoding"),
    allow("i18n", "logOutputEncoding"),
    allow("index", "recordEndOfIndexEntries"),
    allow("index", "recordOffsetTable"),
    allow("index", "sparse"),
    allow("index", "threads"),
    allow("index", "version"),
    allow("log", "abbrevCommit"),
    allow("log", "date"),
    allow("log", "decorate"),
    allow("log", "initialDecorationSet"),
    allow("log", "excludeDecoration"),
    allow("log", "diffMerges"),
    allow("log", "follow"),
    allow("log", "graphColors"),
    allow("log", "showRoot"),
    allow("log", "showSignature"),
    allow("log", "mailmap"),
    allow("lsrefs", "unborn"),
    allow("mailinfo", "scissors"),
    allow("mailmap", "file"),
    allow("mailmap", "blob"),
    allow("maintenance", "auto"),
    allow("maintenance", "strategy"),
    allow("maintenance", "enabled", Sub::kAny),
    allow("maintenance", "schedule", Sub::kAny),
    allow("maintenance", "auto", Sub::kAny),
    allow("notes", "mergeStrategy", Sub::kEither),
    allow("notes", "displayRef"),
    allow("notes", "*", Sub::kExact, "rewrite"),
    allow("notes", "rewriteMode"),
    allow("notes", "rewriteRef"),
    allow("pack", "window"),
    allow("pack", "depth"),
    allow("pack", "windowMemory"),
    allow("pack", "compression"),
    allow("pack", "allowPackReuse"),
    allow("pack", "island"),
    allow("pack", "islandCore"),
    allow("pack", "deltaCacheSize"),
    allow("pack", "deltaCacheLimit"),
    allow("pack", "threads"),
    allow("pack", "indexVersion"),
    allow("pack", "packSizeLimit"),
    allow("pack", "useBitmaps"),
    allow("pack", "useSparse"),
    allow("pack", "preferBitmapTips"),
    allow("pack", "writeBitmapHashCache"),
    allow("pack", "writeBitmapLookupTable"),
    allow("pack", "writeReverseIndex"),
    allow("pretty", "*"),
    allow("push", "autoSetupRemote"),
    allow("push", "default"),
    allow("push", "followTags"),
    allow("push", "gpgSign"),
    allow("push", "pushOption"),
    allow("push", "recurseSubmodules"),
    allow("push", "useForceIfIncludes"),
    allow("push", "negotiate"),
    allow("push", "useBitmaps"),
    allow("rebase", "backend"),
    allow("rebase", "stat"),
    allow("rebase", "autoSquash"),
    allow("rebase", "autoStash"),
    allow("rebase", "updateRefs"),
    allow("rebase", "missingCommitsCheck"),
    allow("rebase", "instructionFormat"),
    allow("rebase", "abbreviateCommands"),
    allow("rebase", "rescheduleFailedExec"),
    allow("rebase", "forkPoint"),
    allow("repack", "useDeltaBaseOffset"),
    allow("repack", "packKeptObjects"),
    allow("repack", "useDeltaIslands"),
    allow("repack", "writeBitmaps"),
    allow("repack", "updateServerInfo"),
    allow("repack", "cruftWindow"),
    allow("repack", "cruftWindowMemory"),
    allow("repack", "cruftDepth"),
    allow("repack", "cruftThreads"),
    allow("rerere", "autoUpdate"),
    allow("rerere", "enabled"),
    allow("revert", "reference"),
    allow("showBranch", "default"),
    allow("sparse", "expectFilesOutsideOfPatterns"),
    allow("splitIndex", "maxPercentChange"),
    allow("splitIndex", "sharedIndexExpire"),
    allow("stash", "showIncludeUntracked"),
    allow("stash", "showPatch"),
    allow("stash", "showStat"),
    allow("status", "relativePaths"),
    allow("status", "short"),
    allow("status", "branch"),
    allow("status", "aheadBehind"),
    allow("status", "displayCommentPrefix"),
    allow("status", "renameLimit"),
    allow("status", "renames"),
    allow("status", "showStash"),
    allow("status", "showUntrackedFiles"),
    allow("status", "submoduleSummary"),
    allow("tag", "forceSignAnnotated"),
    allow("tag", "sort"),
    allow("tag", "gpgSign"),
    allow("transfer", "credentialsInUrl"),
    allow("transfer", "fsckObjects"),
    allow("transfer", "hideRefs"),
    allow("transfer", "unpackLimit"),
    allow("transfer", "advertiseSID"),
    allow("versionsort", "suffix"),
    allow("versionsort", "prereleaseSuffix"),
    allow("worktree", "guessRemote"),
};

bool rule_matches(const Rule& r, std::string_view section,
                  const std::optional<std::string>& subsection, std::string_view key) {
  if (r.section != "*" && !equal_ascii_ci(r.section, section)) return false;
  switch (r.sub) {
    case Sub::kNone:
      if (subsection) return false;
      break;
    case Sub::kAny:
      if (!subsection) return false;
      break;
    case Sub::kEither:
      break;
    case Sub::kExact:
      if (!subsection || *subsection != r.subsection) return false;
      break;
  }
  return r.key == "*" || equal_ascii_ci(r.key, key);
}

const Rule* find_rule(std::span<const Rule> rules, std::string_view section,
                      const std::optional<std::string>& subsection, std::string_view key) {
  for (const Rule& r : rules) {
    if (rule_matches(r, section, subsection, key)) return &r;
  }
  return nullptr;
}

// A value or path from the file, safe to print on one line.
std::string printable(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 || u == 0x7f || u >= 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string describe_target(const GitUrl& u) {
  if (u.kind == GitUrl::Kind::kLocal) return "the local path " + printable(u.path);
  std::string where = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (u.port) where += ":" + std::to_string(*u.port);
  return where;
}

class EntryJudge {
 public:
  explicit EntryJudge(const GitConfigJudgeContext& ctx) : ctx_(ctx) {}

  // Why `e` is refused, or "" when it is allowed.
  std::string why_refused(const GitConfigEntry& e) const {
    const Rule* r = find_rule(kRepositoryRules, e.section, e.subsection, e.key);
    if (r == nullptr) {
      return "is not on paddock's list of inert git keys (git.allowConfigKeys in the settings "
             "can add it)";
    }
    switch (r->act) {
      case Act::kAllow:
        return "";
      case Act::kRefuse:
        return std::string(r->reason);
      case Act::kUrl:
        return url(e, e.section == "submodule");
      case Act::kRemoteName:
        return remote_name(e);
      case Act::kWorktree:
        return worktree(e);
      case Act::kSubmoduleUpdate:
        return submodule_update(e);
    }
    return "is refused";
  }

 private:
  std::string url(const GitConfigEntry& e, bool submodule) const {
    if (!e.value) return "has no value (git refuses such a file)";
    std::string text = *e.value;
    bool relative = false;
    if (submodule && is_superproject_relative(text)) {
      relative = true;
      if (!ctx_.superproject_remote_url.empty()) {
        std::optional<std::string> resolved =
            resolve_submodule_url(ctx_.superproject_remote_url, text);
        if (!resolved) {
          return "is a relative URL with more \"../\" than the superproject's remote URL has "
                 "parts";
        }
        text = std::move(*resolved);
        relative = is_superproject_relative(text);
      }
    }
    Result<GitUrl> u = parse_git_url(text);
    if (!u.ok()) return "is refused: " + u.error().detail;
    u->relative_to_superproject = relative && u->kind == GitUrl::Kind::kLocal;
    if (ctx_.url_allowed && ctx_.url_allowed(*u)) return "";
    if (u->kind == GitUrl::Kind::kNetwork) {
      return "points git at " + describe_target(*u) + ", which the network policy does not allow";
    }
    return "points git at " + describe_target(*u) + ", outside the sandbox's writable paths";
  }

  // A remote's name, or "." (this repository); git reads anything else as a URL when no remote
  // of that name exists (remote.c: valid_remote_nick), so it is judged as one.
  std::string remote_name(const GitConfigEntry& e) const {
    if (!e.value) return "has no value (git refuses such a file)";
    const std::string& v = *e.value;
    const bool plain_name = !v.empty() && v != ".." && v.find_first_of("/:") == std::string::npos;
    if (plain_name) return "";
    return url(e, false);
  }

  std::string worktree(const GitConfigEntry& e) const {
    if (!e.value) return "has no value (git refuses such a file)";
    if (ctx_.worktree_allowed && ctx_.worktree_allowed(*e.value)) return "";
    return "points git's work tree at " + printable(*e.value) +
           ", outside the sandbox's writable paths";
  }

  static std::string submodule_update(const GitConfigEntry& e) {
    if (!e.value) return "has no value (git refuses such a file)";
    const std::string& v = *e.value;
    if (v == "checkout" || v == "rebase" || v == "merge" || v == "none") return "";
    if (!v.empty() && v.front() == '!') return "runs a shell command (update = !command)";
    return "is not an update mode git knows (checkout, rebase, merge or none)";
  }

  const GitConfigJudgeContext& ctx_;
};

std::string entry_id(const GitConfigEntry& e) {
  std::string id = e.name();
  id += '\0';
  if (e.value) {
    id += 'v';
    id += *e.value;
  }
  return id;
}

// --- warnings ---------------------------------------------------------------------------------

std::string_view risk_phrase(Risk r) {
  switch (r) {
    case Risk::kRunsProgram:
      return "make host git run a program";
    case Risk::kSendsElsewhere:
      return "send host git to hosts the network policy does not allow";
    case Risk::kReadsConfig:
      return "make host git read a config file the sandbox wrote";
    case Risk::kWritesElsewhere:
      return "make host git write outside the project";
    case Risk::kWeakensChecks:
      return "weaken host git's checks";
    case Risk::kNone:
      break;
  }
  return "change what host git does";
}

// "core.fsmonitor", "remote.NAME.url": the key a warning names, from a sample entry the rule
// covers (spelled as the rule spells it where the rule names it).
std::string rule_example(const Rule& r, const GitConfigEntry& e) {
  std::string s(r.section);
  if (e.subsection) s += "." + (*e.subsection == "x-any" ? std::string("NAME") : *e.subsection);
  s += ".";
  if (r.key != "*") {
    s += r.key;
  } else {
    s += e.key == "x-any" ? std::string("NAME") : e.key;
  }
  return s;
}

std::string special_reason(Act a) {
  switch (a) {
    case Act::kUrl:
    case Act::kRemoteName:
      return "names a URL git connects to";
    case Act::kWorktree:
      return "names the directory git checks files out into";
    case Act::kSubmoduleUpdate:
      return "can run a shell command (update = !command)";
    default:
      return "";
  }
}

// Concrete entries standing for where `p` and the rule `r` overlap (none when they cannot).
std::vector<GitConfigEntry> overlap_samples(const GitKeyPattern& p, const Rule& r) {
  std::vector<GitConfigEntry> out;
  if (!equal_ascii_ci(r.section, p.section)) return out;
  std::string key = p.key != "*" ? p.key : (r.key != "*" ? std::string(r.key) : "x-any");
  std::vector<std::optional<std::string>> subs;
  const bool p_none = p.sub == GitKeyPattern::Sub::kNone || p.sub == GitKeyPattern::Sub::kAnyOrNone;
  const bool r_none = r.sub == Sub::kNone || r.sub == Sub::kEither;
  if (p_none && r_none) subs.emplace_back(std::nullopt);
  if (p.sub != GitKeyPattern::Sub::kNone && r.sub != Sub::kNone) {
    if (p.sub == GitKeyPattern::Sub::kExact) {
      subs.emplace_back(p.subsection);
    } else if (r.sub == Sub::kExact) {
      subs.emplace_back(std::string(r.subsection));
    } else {
      subs.emplace_back("x-any");
    }
  }
  for (std::optional<std::string>& s : subs) {
    GitConfigEntry e;
    e.section = p.section;
    e.subsection = std::move(s);
    e.key = key;
    if (p.matches(e.section, e.subsection, e.key) &&
        rule_matches(r, e.section, e.subsection, e.key)) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace

GitConfigVerdict judge_git_config(std::span<const GitConfigEntry> entries,
                                  const GitConfigJudgeContext& ctx) {
  std::unordered_set<std::string> unchanged;
  for (const GitConfigEntry& e : ctx.previous) unchanged.insert(entry_id(e));
  const EntryJudge judge(ctx);
  for (const GitConfigEntry& e : entries) {
    if (unchanged.contains(entry_id(e))) continue;
    bool widened = false;
    for (const GitKeyPattern& p : ctx.extra_allowed) {
      if (p.matches(e.section, e.subsection, e.key)) {
        widened = true;
        break;
      }
    }
    if (widened) continue;
    std::string why = judge.why_refused(e);
    if (!why.empty()) {
      GitConfigVerdict v;
      v.allowed = false;
      v.key = printable(e.name());
      v.line = e.line;
      v.reason = v.key + " " + why;
      return v;
    }
  }
  return GitConfigVerdict{};
}

GitConfigVerdict judge_git_config_text(std::string_view text, const GitConfigJudgeContext& ctx) {
  Result<std::vector<GitConfigEntry>> entries = parse_git_config(text);
  if (!entries.ok()) {
    GitConfigVerdict v;
    v.allowed = false;
    v.reason = "not a config file paddock can read with certainty (" + entries.error().detail + ")";
    return v;
  }
  return judge_git_config(*entries, ctx);
}

GitConfigVerdict judge_git_config_replacement(std::string_view new_text, std::string_view old_text,
                                              GitConfigJudgeContext ctx) {
  Result<std::vector<GitConfigEntry>> old_entries = parse_git_config(old_text);
  std::vector<GitConfigEntry> previous;
  if (old_entries.ok()) previous = std::move(*old_entries);
  ctx.previous = previous;
  return judge_git_config_text(new_text, ctx);
}

std::vector<std::string> git_allow_config_key_warnings(std::span<const GitKeyPattern> patterns) {
  std::vector<std::string> out;
  const std::span<const Rule> rules = kRepositoryRules;
  for (const GitKeyPattern& p : patterns) {
    const std::string head = "git.allowConfigKeys: " + printable(p.text) + " lets the sandbox ";
    std::string warning;
    // Each rule the pattern reaches, judged by the rule that actually decides there.
    for (const Rule& r : rules) {
      for (const GitConfigEntry& e : overlap_samples(p, r)) {
        const Rule* decides = find_rule(rules, e.section, e.subsection, e.key);
        if (decides == nullptr || decides->act == Act::kAllow) continue;
        const std::string reason = decides->act == Act::kRefuse ? std::string(decides->reason)
                                                                : special_reason(decides->act);
        warning = head + std::string(risk_phrase(decides->risk)) + " (" +
                  rule_example(*decides, e) + " " + reason + ")";
        break;
      }
      if (!warning.empty()) break;
    }
    if (warning.empty()) {
      // Keys no rule covers.
      const std::string key = p.key == "*" ? "x-unknown" : p.key;
      std::vector<std::optional<std::string>> subs;
      if (p.sub == GitKeyPattern::Sub::kNone || p.sub == GitKeyPattern::Sub::kAnyOrNone) {
        subs.emplace_back(std::nullopt);
      }
      if (p.sub == GitKeyPattern::Sub::kExact) subs.emplace_back(p.subsection);
      if (p.sub == GitKeyPattern::Sub::kAny || p.sub == GitKeyPattern::Sub::kAnyOrNone) {
        subs.emplace_back("x-unknown");
      }
      for (const std::optional<std::string>& s : subs) {
        if (find_rule(rules, p.section, s, key) == nullptr) {
          warning = head + "set keys paddock does not know to be inert";
          break;
        }
      }
    }
    if (!warning.empty()) out.push_back(std::move(warning));
  }
  return out;
}

}  // namespace paddock
