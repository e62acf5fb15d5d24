# bash completion for paddock(1). Installed to share/bash-completion/completions/paddock.

_paddock() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion -n = || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi

  local subcommands="run policy doctor reset connect ctl"
  local common="--settings --allow-write --deny-read --allow-read --deny-write --allow-domain
                --deny-domain --resolve --publish --allow-host-port --allow-local-binding --audit-log --project --ephemeral-home --pass-env --ssh-agent
                --ssh-agent-key --ask --ask-timeout --help"
  local sub="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --) # after --: the program and its arguments
        if ((i == cword - 1)); then
          mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        else
          mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return ;;
      run | policy | doctor | reset | connect | ctl)
        [[ -z $sub ]] && sub=${words[i]} ;;
    esac
  done

  case $prev in
    --project)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --settings | --audit-log)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --allow-write | --deny-read | --allow-read | --deny-write)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --ssh-agent-key)
      mapfile -t COMPREPLY < <(compgen -f -X '!*.pub' -- "$cur"; compgen -d -- "$cur"); return ;;
    --pass-env)
      mapfile -t COMPREPLY < <(compgen -e -- "$cur"); return ;;
    --allow-domain | --deny-domain | --resolve | --publish | --allow-host-port | --ask-timeout | --agent-channel | -c)
      return ;;
  esac

  case $sub in
    "")
      mapfile -t COMPREPLY < <(compgen -W "$subcommands --help --version" -- "$cur") ;;
    run)
      mapfile -t COMPREPLY < <(compgen -W "$common -c --debug --quiet --agent-channel --" -- "$cur") ;;
    policy)
      mapfile -t COMPREPLY < <(compgen -W "$common --json" -- "$cur") ;;
    doctor)
      mapfile -t COMPREPLY < <(compgen -W "--json --help" -- "$cur") ;;
    reset)
      mapfile -t COMPREPLY < <(compgen -W "--all --project --help" -- "$cur") ;;
    connect)
      ;;
    ctl)
      # paddock ctl ACTION [ID [DOMAIN]]: ids are the names of the control sockets.
      local n=0 j
      for ((j = 1; j < cword; j++)); do [[ ${words[j]} == -* ]] || ((n++)); done
      if ((n == 1)); then
        mapfile -t COMPREPLY < <(compgen -W "list show allow deny --help" -- "$cur")
      elif ((n == 2)) && [[ " show allow deny " == *" ${words[2]} "* ]]; then
        local ids=() d f
        for d in "${XDG_RUNTIME_DIR:-/nonexistent}/paddock/ctl" "/tmp/paddock-$EUID/ctl"; do
          for f in "$d"/*.sock; do [[ -S $f ]] && f=${f##*/} && ids+=("${f%.sock}"); done
        done
        mapfile -t COMPREPLY < <(compgen -W "${ids[*]}" -- "$cur")
      fi ;;
  esac
}

complete -F _paddock paddock
