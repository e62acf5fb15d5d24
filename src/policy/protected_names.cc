#include "policy/protected_names.h"

#include <algorithm>

namespace paddock {

const std::vector<ProtectedNameGroup>& builtin_protected_name_groups() {
  // Each row is checked against the tool's documentation: the file must make the tool run a
  // command (or load code) when a shell starts, a session logs in, an editor or agent opens the
  // directory, or git runs a hook; files that only take effect when the user runs the project
  // (package.json scripts, Makefiles, .npmrc in the project) are not here.
  static const std::vector<ProtectedNameGroup> groups = {
      {"bash, zsh, sh, csh, ksh",
       "rc and profile files run at the next login or interactive shell",
       {".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases", ".profile",
        ".zshrc", ".zshenv", ".zprofile", ".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".login",
        ".kshrc", ".mkshrc"}},
      {"bash-completion, oh-my-zsh, zsh with ZDOTDIR",
       "sourced by every interactive shell (completion scripts on first use)",
       {".bash_completion", ".local/share/bash-completion", ".oh-my-zsh", ".config/zsh"}},
      {"readline",
       "an inputrc macro can type and run a command in every readline program",
       {".inputrc"}},
      {"fish",
       "config.fish, conf.d and vendor snippets run in every fish shell",
       {".config/fish", ".local/share/fish/vendor_conf.d", ".local/share/fish/vendor_functions.d",
        ".local/share/fish/vendor_completions.d"}},
      {"nushell, PowerShell, xonsh",
       "their rc and profile files run in every new shell",
       {".config/nushell", ".config/powershell", ".xonshrc", ".config/xonsh"}},
      {"starship",
       "custom prompt modules run their command at every prompt",
       {".config/starship.toml"}},
      {"tmux, screen, terminal emulators",
       "read when a terminal or session starts; they name the shell to run and can run more",
       {".tmux.conf", ".config/tmux", ".screenrc", ".wezterm.lua", ".config/wezterm",
        ".config/kitty", ".config/alacritty"}},
      {"desktop session, systemd --user",
       "run or set the environment (LD_PRELOAD, PATH) of the next graphical or systemd session",
       {".xprofile", ".xinitrc", ".xsession", ".xsessionrc", ".pam_environment",
        ".config/autostart", ".config/plasma-workspace/env", ".config/plasma-workspace/shutdown",
        ".config/environment.d", ".config/systemd/user", ".local/share/systemd/user", ".config/i3",
        ".config/sway", ".config/hypr"}},
      {"git",
       "global config (core.fsmonitor, core.pager, aliases); a repository's own control files "
       "(config, hooks, todo lists) are judged by the git rules (docs/GIT.md)",
       {".gitconfig", ".config/git/config"}},
      {"git hook managers (husky, pre-commit, prek, lefthook, overcommit, hk)",
       "the hook git runs on commit reads these and runs what they name",
       {".husky",
        ".pre-commit-config.yaml",
        ".pre-commit-config.yml",
        "prek.toml",
        "lefthook.yml",
        ".lefthook.yml",
        "lefthook.yaml",
        ".lefthook.yaml",
        "lefthook.toml",
        ".lefthook.toml",
        "lefthook.json",
        ".lefthook.json",
        "lefthook.jsonc",
        ".lefthook.jsonc",
        ".config/lefthook.yml",
        ".config/lefthook.yaml",
        ".config/lefthook.toml",
        ".config/lefthook.json",
        ".config/lefthook.jsonc",
        "lefthook-local.yml",
        ".lefthook-local.yml",
        "lefthook-local.yaml",
        ".lefthook-local.yaml",
        "lefthook-local.toml",
        ".lefthook-local.toml",
        "lefthook-local.json",
        ".lefthook-local.json",
        "lefthook-local.jsonc",
        ".lefthook-local.jsonc",
        ".config/lefthook-local.yml",
        ".config/lefthook-local.yaml",
        ".config/lefthook-local.toml",
        ".config/lefthook-local.json",
        ".config/lefthook-local.jsonc",
        ".lefthook",
        ".lefthook-local",
        ".overcommit.yml",
        ".git-hooks",
        "hk.pkl"}},
      {"direnv",
       ".envrc runs on cd; direnvrc runs with it; the allow database approves it",
       {".envrc", ".config/direnv", ".local/share/direnv"}},
      {"mise",
       "[hooks] enter/cd run on cd, [env] and tools load into every activated shell",
       {"mise.toml", ".mise.toml", "mise.*.toml", ".mise.*.toml", "mise/config.toml", ".mise",
        ".config/mise.toml", ".config/mise", ".miserc.toml", ".local/state/mise"}},
      {"Python",
       ".pth files and usercustomize in the user site run in every Python process",
       {".local/lib/python*/site-packages"}},
      {"VS Code and its forks",
       "tasks (runOn: folderOpen), launch and terminal settings, extensions, workspace files",
       {".vscode", "*.code-workspace", ".vscode-server", ".config/Code/User",
        ".config/Code - OSS/User", ".config/VSCodium/User"}},
      {"Dev Containers",
       "initializeCommand runs on the host when the folder is opened",
       {".devcontainer", ".devcontainer.json"}},
      {"JetBrains IDEs",
       "run configurations, startup tasks, installed plugins",
       {".idea", ".config/JetBrains", ".local/share/JetBrains"}},
      {"Zed",
       "tasks and language-server commands run when the folder is opened",
       {".zed", ".config/zed"}},
      {"Helix",
       "workspace languages.toml names the language servers started on open",
       {".helix", ".config/helix"}},
      {"Vim and Neovim",
       "exrc files run on open (vim without asking), init files and plugins",
       {".exrc", "_exrc", ".vimrc", "_vimrc", ".gvimrc", "_gvimrc", ".nvimrc", ".nvim.lua", ".vim",
        ".config/vim", ".config/nvim", ".local/share/nvim"}},
      {"Emacs",
       "directory-local eval forms, init files and packages",
       {".dir-locals.el", ".dir-locals-2.el", ".emacs", ".emacs.el", ".emacs.d", ".config/emacs"}},
      {"Sublime Text", "Python plugins in Packages/ load at start", {".config/sublime-text"}},
      {"MCP clients (Claude Code, Claude Desktop)",
       "MCP servers are commands started with the app",
       {".mcp.json", ".config/Claude"}},
      {"Claude Code",
       "hooks, statusLine, apiKeyHelper and MCP servers run at start; commands, agents, skills "
       "and plugins steer or extend the agent outside",
       {".claude/settings.json", ".claude/settings.local.json", ".claude/commands",
        ".claude/agents", ".claude/hooks", ".claude/skills", ".claude/plugins"}},
      {"Cursor",
       "hooks.json, mcp.json, environment.json and rules",
       {".cursor", ".config/Cursor/User"}},
      {"Gemini CLI",
       "settings (MCP servers, hooks), extensions, custom commands",
       {".gemini/settings.json", ".gemini/extensions", ".gemini/commands"}},
      {"Qwen Code",
       "settings (MCP servers), custom commands",
       {".qwen/settings.json", ".qwen/commands"}},
      {"Codex", "config.toml (MCP servers, notify command), hooks", {".codex"}},
      {"GitHub Copilot",
       "hooks in .github/hooks run around agent sessions; CLI MCP config",
       {".github/hooks", ".copilot"}},
      {"Windsurf", "Cascade hooks, MCP config", {".windsurf", ".codeium/windsurf"}},
      {"Cline",
       "hook scripts (.clinerules/hooks, .cline/hooks) run in every task",
       {".clinerules", ".cline"}},
      {"Roo Code, Kilo Code",
       "project MCP servers (mcp.json) start with the extension",
       {".roo", ".kilocode"}},
      {"Kiro", "agent hooks run commands on file events; MCP settings", {".kiro"}},
      {"OpenCode",
       "config (MCP servers) and plugins (code loaded at start)",
       {"opencode.json", "opencode.jsonc", ".opencode", ".config/opencode"}},
      {"Amazon Q Developer", "MCP servers and agent hooks", {".amazonq"}},
      {"Continue", "MCP servers and config", {".continue"}},
      {"Crush",
       "MCP servers and language-server commands",
       {"crush.json", ".crush.json", ".config/crush"}},
      {"Goose", "extensions are commands started with a session", {".config/goose"}},
      {"Amp", "MCP servers in settings", {".config/amp"}},
      {"Aider", "lint and test commands run after each edit", {".aider.conf.yml"}},
      {"Junie", "MCP servers", {".junie"}},
  };
  return groups;
}

Result<std::string> parse_protected_name(std::string_view raw) {
  auto bad = [raw](std::string detail) {
    return plain_error("filesystem.protectedNames", std::move(detail), std::string(raw));
  };
  std::string_view s = raw;
  if (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  if (s.empty()) return bad("empty name");
  if (s.front() == '/' || s.front() == '~')
    return bad(
        "is a path, not a name: protectedNames match at any depth, relative to no directory "
        "(filesystem.denyWrite protects one path)");
  size_t i = 0;
  while (i <= s.size()) {
    const size_t j = std::min(s.find('/', i), s.size());
    const std::string_view c = s.substr(i, j - i);
    if (c.empty()) return bad("has an empty component (\"//\")");
    if (c == "." || c == "..") return bad("has a \"" + std::string(c) + "\" component");
    if (c.find_first_not_of('*') == std::string_view::npos)
      return bad("has a component of only '*', which would protect every name");
    i = j + 1;
  }
  return std::string(s);
}

}  // namespace paddock
