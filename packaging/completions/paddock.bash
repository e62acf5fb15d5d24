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

  local subcommands="run policy doctor reset connect"
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
      run | policy | doctor | reset | connect)
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
  esac
}

complete -F _paddock paddock
