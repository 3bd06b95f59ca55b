#!/bin/sh
# podnet CNI plugin body: renderPlugin (render-plugin.ts) replaces lines 1-16 with one node's constants
# (same count: line numbers agree) and splices json-flatten.awk into JSON_FLATTEN_AWK. Values: examples.
NETWORK_NAME='podnet'
BRIDGE='v-net-0'
SUBNET='10.244.1.0/24'
PREFIX_LEN=24
GATEWAY='10.244.1.1'
GATEWAY_INT=183763201
# First and last addresses handed out: network + 1 and broadcast - 1.
FIRST_INT=183763201
LAST_INT=183763454
MTU=1500
DATA_DIR='/var/lib/cni/networks'
SUPPORTED_VERSIONS='"0.4.0","1.0.0","1.1.0"'
LATEST_VERSION='1.1.0'

STORE="$DATA_DIR/$NETWORK_NAME"
LOCK_FILE="$STORE/lock"
LAST_RESERVED_FILE="$STORE/last_reserved_ip.0"
# The cniVersion errors are reported in until the configuration's own version is known.
REPLY_VERSION=$LATEST_VERSION
FLAT=''

# ───────────── JSON in: a strict parser that flattens stdin into one line per value ─────────────
# Each line is PATH<TAB>TYPE<TAB>VALUE. PATH spells keys as ["key"] and indexes as [n], so
# ["prevResult"]["ips"][0]["address"] can only mean that one value. TYPE is o (object), a (array),
# s (string, VALUE is its raw text between the quotes, escapes kept), n, b or z (null).
# Anything that is not well-formed JSON prints "!<TAB>reason" and exits 2.
# shellcheck disable=SC2016 # an awk program: its $ are awk's
JSON_FLATTEN_AWK='
@@json-flatten.awk@@'

# json_get PATH TYPE: the first value at PATH of that TYPE in FLAT (exit 1 when there is none).
json_get() {
  printf '%s\n' "$FLAT" | WANT_PATH=$1 WANT_TYPE=$2 awk -F '\t' '
    $1 == ENVIRON["WANT_PATH"] && $2 == ENVIRON["WANT_TYPE"] { print $3; found = 1; exit }
    END { exit !found }'
}

# ───────────── JSON out ─────────────
# json_string TEXT: TEXT as a JSON string literal, quotes included.
json_string() {
  JSON_TEXT=$1 awk 'BEGIN {
    x = ENVIRON["JSON_TEXT"]; o = ""
    for (k = 1; k <= length(x); k++) {
      c = substr(x, k, 1)
      if (c == "\\") o = o "\\\\"
      else if (c == "\"") o = o "\\\""
      else if (c == "\n") o = o "\\n"
      else if (c == "\r") o = o "\\r"
      else if (c == "\t") o = o "\\t"
      else if (c < " ") o = o " "
      else o = o c
    }
    printf "\"%s\"", o
  }'
}

# fail CODE MESSAGE [DETAILS]: print a CNI error on stdout and exit non-zero.
fail() {
  if [ -n "$3" ]; then
    printf '{"cniVersion":"%s","code":%s,"msg":%s,"details":%s}\n' "$REPLY_VERSION" "$1" "$(json_string "$2")" "$(json_string "$3")"
  else
    printf '{"cniVersion":"%s","code":%s,"msg":%s}\n' "$REPLY_VERSION" "$1" "$(json_string "$2")"
  fi
  printf 'podnet: %s\n' "$2" >&2
  exit 1
}

# ───────────── parameters ─────────────
# require_env NAME...: error 4 unless each variable is set and non-empty.
require_env() {
  for name in "$@"; do
    eval "value=\$$name"
    # shellcheck disable=SC2154 # value is assigned by the eval above
    [ -n "$value" ] || fail 4 "required environment variable $name is missing"
  done
}

check_container_id() {
  case $CNI_CONTAINERID in
    [!A-Za-z0-9]* | *[!A-Za-z0-9_.-]*)
      fail 4 "invalid CNI_CONTAINERID: it must start with a letter or digit and contain only letters, digits, _ . -" ;;
  esac
}

# check_netns: CNI_NETNS must be an absolute path (the spec: "the path to the network namespace").
check_netns() {
  case $CNI_NETNS in
    /*) ;;
    *) fail 4 "invalid CNI_NETNS: it must be an absolute path, not $CNI_NETNS" ;;
  esac
}

check_ifname() {
  case $CNI_IFNAME in
    . | .. | *[!A-Za-z0-9_.-]* | ????????????????*)
      fail 4 "invalid CNI_IFNAME: at most 15 letters, digits, _ . - and not . or .." ;;
  esac
}

# read_config: reads the network configuration from stdin, checks cniVersion and name.
read_config() {
  if ! FLAT=$(awk "$JSON_FLATTEN_AWK"); then
    fail 6 "cannot decode the network configuration: not valid JSON" \
      "$(printf '%s\n' "$FLAT" | awk -F '\t' '$1 == "!" { print $2 }')"
  fi
  # One pass for the root's type and the top-level cniVersion and name, one per line, each value
  # behind a flag line (1 = present), read back with read (no subshell per field).
  summary=$(printf '%s\n' "$FLAT" | awk -F '\t' '
    $1 == "" { root = $2 }
    $1 == "[\"cniVersion\"]" && $2 == "s" && !hv { hv = 1; v = $3 }
    $1 == "[\"name\"]" && $2 == "s" && !hn { hn = 1; n = $3 }
    END { print root; print hv + 0; print v; print hn + 0; print n }')
  {
    IFS= read -r root_type
    IFS= read -r has_version
    IFS= read -r requested
    IFS= read -r has_name
    IFS= read -r config_name
  } << EOF_SUMMARY
$summary
EOF_SUMMARY
  [ "$root_type" = o ] || fail 7 "invalid network configuration: not a JSON object"
  [ "$has_version" = 1 ] || fail 7 "invalid network configuration: cniVersion (string) is missing"
  case ",$SUPPORTED_VERSIONS," in
    *",\"$requested\","*) REPLY_VERSION=$requested ;;
    *) fail 1 "incompatible CNI version $requested: this plugin supports $SUPPORTED_VERSIONS" ;;
  esac
  [ "$has_name" = 1 ] || fail 7 "invalid network configuration: name (string) is missing"
  [ "$config_name" = "$NETWORK_NAME" ] ||
    fail 7 "invalid network configuration: name is \"$config_name\" but this plugin serves network \"$NETWORK_NAME\""
}

# ───────────── addresses ─────────────
# int_to_ip N: sets IP_STR to the dotted quad of the 32-bit number N (no subshell: used in loops).
int_to_ip() {
  IP_STR="$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

# ip_to_int TEXT: sets IP_INT to the number of a dotted quad; exit 1 when TEXT is not one.
# Octets are decimal even with leading zeros (sh arithmetic would read 010 as octal and abort on 08).
ip_to_int() {
  case $1 in
    '' | *[!0-9.]* | *..* | .* | *.) return 1 ;;
  esac
  old_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086 # splitting on the dots is the point
  set -- $1
  IFS=$old_ifs
  [ $# -eq 4 ] || return 1
  IP_INT=0
  for octet in "$@"; do
    case $octet in ????*) return 1 ;; esac
    while :; do
      case $octet in 0?*) octet=${octet#0} ;; *) break ;; esac
    done
    [ "$octet" -le 255 ] || return 1
    IP_INT=$((IP_INT * 256 + octet))
  done
}

# ───────────── the pod's veth, node end ─────────────
# host_link CONTAINERID IFNAME: sets HOST_IF (pn + 8 hex digits of a CRC of both, so the same
# pod always gets the same name) and HOST_ALIAS (the link alias that proves the veth is this pod's).
host_link() {
  # shellcheck disable=SC2046 # cksum prints "CRC LENGTH": split into $1 $2
  set -- "$1" "$2" $(printf '%s\n%s' "$1" "$2" | cksum)
  HOST_IF=$(printf 'pn%08x' "$3")
  HOST_ALIAS=$(printf 'podnet %.240s %s' "$1" "$2")
}

# has_alias DEV ALIAS: whether link DEV exists on the node with exactly that alias.
has_alias() {
  shown=$(ip link show dev "$1" 2> /dev/null) || return 1
  case "$shown
" in
    *"
    alias $2
"*) return 0 ;;
    *) return 1 ;;
  esac
}

# remove_host_link CONTAINERID IFNAME: deletes the node end of that pod's veth if it is there and
# is that pod's (the pod end goes with it); exit 1 with ERR set when the kernel refuses.
remove_host_link() {
  host_link "$1" "$2"
  has_alias "$HOST_IF" "$HOST_ALIAS" || return 0
  ERR=$(ip link del dev "$HOST_IF" 2>&1) && return 0
  ip link show dev "$HOST_IF" > /dev/null 2>&1 || return 0
  return 1
}

# ───────────── the address store, laid out like host-local's ─────────────
# $STORE/<ip> holds "<containerid>\r\n<ifname>"; last_reserved_ip.0 the last address handed out;
# every read-modify-write runs under flock on $STORE/lock (the lock host-local takes too).
open_store() {
  [ -d "$STORE" ] || mkdir -p "$STORE" 2> /dev/null || fail 5 "cannot create the address store $STORE"
  # command: a failed redirection must not end the shell before the error JSON is printed.
  # The braces keep the 2> to this line (on exec itself it would silence stderr for good).
  { command exec 9>> "$LOCK_FILE"; } 2> /dev/null || fail 5 "cannot open the lock file $LOCK_FILE"
}

# lock_store opens the store and takes its lock; unlock_store closes the descriptor, which drops
# the lock (children that inherited descriptor 9 have all exited by then).
lock_store() {
  open_store
  flock -w 60 9 || fail 11 "timed out after 60 s waiting for the lock $LOCK_FILE"
}

unlock_store() {
  exec 9>&-
}

# store_list '' '': one line "ip<TAB>containerid<TAB>ifname" per allocation (ifname empty in the
# old one-line format, which host-local matches on the container id alone; both empty for an
# empty allocation file, see allocate).
# store_list CONTAINERID IFNAME: only the addresses allocated to that attachment.
# The names reach awk on a pipe (printf is built in), not as arguments: no ARG_MAX on a big store.
store_list() {
  want_id=$1
  want_if=$2
  set -- "$STORE"/[0-9]*.[0-9]*.[0-9]*.[0-9]*
  [ -e "$1" ] || return 0
  printf '%s\n' "$@" | WANT_ID=$want_id WANT_IF=$want_if awk '
    function trim(x) { gsub(/^[ \t\r]+|[ \t\r]+$/, "", x); return x }
    {
      file = $0; ip = file; sub(/.*\//, "", ip); id = ""; ifn = ""; lines = 0
      while ((getline line < file) > 0) {
        lines++
        if (lines == 1) id = trim(line)
        else { ifn = trim(line); break }
      }
      close(file)
      if (ENVIRON["WANT_ID"] == "") print ip "\t" id "\t" ifn
      else if (lines > 0 && id == ENVIRON["WANT_ID"] && (ifn == ENVIRON["WANT_IF"] || ifn == "")) print ip
    }'
}

# store_find CONTAINERID IFNAME: the addresses allocated to that attachment.
store_find() {
  store_list "$1" "$2"
}

# store_release CONTAINERID IFNAME: removes that attachment's allocations (lock held).
store_release() {
  for address in $(store_find "$1" "$2"); do
    rm -f "$STORE/$address"
  done
}

# allocate: reserves the next free address after the last reserved one, going round the subnet
# and skipping network, gateway and broadcast; sets POD_IP; exit 1 when none is free (lock held).
allocate() {
  candidate=$FIRST_INT
  last=''
  [ -f "$LAST_RESERVED_FILE" ] && IFS= read -r last < "$LAST_RESERVED_FILE"
  if ip_to_int "$last" && [ "$IP_INT" -ge "$FIRST_INT" ] && [ "$IP_INT" -lt "$LAST_INT" ]; then
    candidate=$((IP_INT + 1))
  fi
  tries=$((LAST_INT - FIRST_INT + 1))
  while [ "$tries" -gt 0 ]; do
    if [ "$candidate" -ne "$GATEWAY_INT" ]; then
      int_to_ip "$candidate"
      # An empty allocation file is one whose writer was killed between creating and writing it:
      # every writer (this plugin, host-local) creates and writes under the lock we hold, so no one
      # is still writing it. It holds no container: take it back.
      [ -f "$STORE/$IP_STR" ] && [ ! -s "$STORE/$IP_STR" ] && rm -f "$STORE/$IP_STR"
      # set -C: the file is created exclusively (O_EXCL), as host-local does.
      if [ ! -e "$STORE/$IP_STR" ] &&
        (set -C && printf '%s\r\n%s' "$CNI_CONTAINERID" "$CNI_IFNAME" > "$STORE/$IP_STR") 2> /dev/null; then
        printf '%s' "$IP_STR" > "$LAST_RESERVED_FILE"
        POD_IP=$IP_STR
        return 0
      fi
    fi
    candidate=$((candidate + 1))
    [ "$candidate" -le "$LAST_INT" ] || candidate=$FIRST_INT
    tries=$((tries - 1))
  done
  return 1
}

# ───────────── ADD ─────────────
HOST_IF_CREATED=''
POD_IP=''

# add_failed CODE MESSAGE [DETAILS]: undoes what ADD did so far, then fails.
add_failed() {
  if [ -n "$HOST_IF_CREATED" ]; then
    ip link del dev "$HOST_IF" 2> /dev/null
  fi
  if [ -n "$POD_IP" ]; then
    lock_store
    rm -f "$STORE/$POD_IP"
    unlock_store
  fi
  fail "$@"
}

# mac_of TEXT: sets MAC to the word after link/ether in "ip -o link show" output.
mac_of() {
  MAC=''
  previous=''
  set -f
  # shellcheck disable=SC2086 # split into words on purpose (globbing is off)
  for word in $1; do
    [ "$previous" = link/ether ] && [ -z "$MAC" ] && MAC=$word
    previous=$word
  done
  set +f
}

cmd_add() {
  require_env CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH
  check_container_id
  check_netns
  check_ifname
  read_config
  host_link "$CNI_CONTAINERID" "$CNI_IFNAME"
  lock_store
  existing=$(store_find "$CNI_CONTAINERID" "$CNI_IFNAME")
  if [ -n "$existing" ]; then
    unlock_store
    fail 101 "container $CNI_CONTAINERID already has address $existing for $CNI_IFNAME on network $NETWORK_NAME" \
      "a second ADD for the same container and interface is refused; DEL it first"
  fi
  if ! allocate; then
    unlock_store
    fail 11 "no free address left in $SUBNET on network $NETWORK_NAME" \
      "all $((LAST_INT - FIRST_INT)) usable addresses are allocated (see $STORE); try again once pods are deleted"
  fi
  unlock_store
  # A runtime that gives up kills the plugin: undo on the way out rather than leak the address.
  trap 'add_failed 100 "ADD interrupted by a signal"' HUP INT TERM

  # The veth is born with its pod end already inside the pod's namespace, under its final name:
  # "ip link ... netns PATH" opens PATH when it holds a slash (/run/netns/X and /proc/PID/ns/net alike).
  if ! ERR=$(ip link add "$HOST_IF" mtu "$MTU" type veth peer name "$CNI_IFNAME" mtu "$MTU" netns "$CNI_NETNS" 2>&1); then
    if [ ! -e "$CNI_NETNS" ]; then
      add_failed 3 "network namespace $CNI_NETNS does not exist" "$ERR"
    elif nsenter --net="$CNI_NETNS" ip link show dev "$CNI_IFNAME" > /dev/null 2>&1; then
      add_failed 101 "interface $CNI_IFNAME already exists in network namespace $CNI_NETNS" "$ERR"
    elif ip link show dev "$HOST_IF" > /dev/null 2>&1; then
      add_failed 101 "node interface $HOST_IF already exists" "$ERR"
    fi
    add_failed 100 "cannot create the veth pair $HOST_IF/$CNI_IFNAME" "$ERR"
  fi
  HOST_IF_CREATED=1

  if ! POD_LINK=$(nsenter --net="$CNI_NETNS" ip -o -batch - 2>&1 << EOF_POD
address add $POD_IP/$PREFIX_LEN dev $CNI_IFNAME
link set dev $CNI_IFNAME up
link set dev lo up
route add default via $GATEWAY dev $CNI_IFNAME
link show dev $CNI_IFNAME
EOF_POD
  ); then
    add_failed 100 "cannot configure $CNI_IFNAME in network namespace $CNI_NETNS" "$POD_LINK"
  fi

  if ! HOST_LINK=$(ip -o -batch - 2>&1 << EOF_HOST
link set dev $HOST_IF master $BRIDGE
link set dev $HOST_IF alias "$HOST_ALIAS"
link set dev $HOST_IF up
link show dev $HOST_IF
EOF_HOST
  ); then
    add_failed 100 "cannot attach $HOST_IF to bridge $BRIDGE" "$HOST_LINK"
  fi

  trap - HUP INT TERM
  version_field=''
  [ "$REPLY_VERSION" = 0.4.0 ] && version_field='"version":"4",'
  case $CNI_NETNS in
    *[!A-Za-z0-9_./+-]*) sandbox=$(json_string "$CNI_NETNS") ;;
    *) sandbox="\"$CNI_NETNS\"" ;;
  esac
  mac_of "$HOST_LINK"
  host_mac=$MAC
  mac_of "$POD_LINK"
  printf '{"cniVersion":"%s","interfaces":[{"name":"%s","mac":"%s"},{"name":"%s","mac":"%s","sandbox":%s}],' \
    "$REPLY_VERSION" "$HOST_IF" "$host_mac" "$CNI_IFNAME" "$MAC" "$sandbox"
  printf '"ips":[{%s"address":"%s/%s","gateway":"%s","interface":1}],"routes":[{"dst":"0.0.0.0/0","gw":"%s"}],"dns":{}}\n' \
    "$version_field" "$POD_IP" "$PREFIX_LEN" "$GATEWAY" "$GATEWAY"
}

# ───────────── DEL ─────────────
cmd_del() {
  require_env CNI_CONTAINERID CNI_IFNAME CNI_PATH
  check_container_id
  check_ifname
  read_config
  # The netns may already be gone (its veth with it); DEL still releases the address.
  remove_host_link "$CNI_CONTAINERID" "$CNI_IFNAME" || fail 100 "cannot remove $HOST_IF" "$ERR"
  if [ -d "$STORE" ]; then
    lock_store
    store_release "$CNI_CONTAINERID" "$CNI_IFNAME"
    unlock_store
  fi
}

# ───────────── CHECK ─────────────
check_failed() {
  fail 102 "CHECK: $1" "container $CNI_CONTAINERID, interface $CNI_IFNAME, network namespace $CNI_NETNS"
}

cmd_check() {
  require_env CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH
  check_container_id
  check_netns
  check_ifname
  read_config
  json_get '["prevResult"]' o > /dev/null || fail 7 "invalid network configuration: CHECK needs prevResult"
  [ -d "$STORE" ] || check_failed "no address is allocated (no store $STORE)"
  allocated=$(store_find "$CNI_CONTAINERID" "$CNI_IFNAME")
  [ -n "$allocated" ] || check_failed "no address is allocated to this container in $STORE"
  want="$allocated/$PREFIX_LEN"

  # prevResult must list the allocated address and the pod interface (with its MAC).
  prev=$(printf '%s\n' "$FLAT" | WANT=$want IFN=$CNI_IFNAME awk -F '\t' '
    $1 ~ /^\["prevResult"\]\["ips"\]\[[0-9]+\]\["address"\]$/ && $2 == "s" && $3 == ENVIRON["WANT"] { ip = 1 }
    $1 ~ /^\["prevResult"\]\["interfaces"\]\[[0-9]+\]\["name"\]$/ && $2 == "s" { k = $1; sub(/\]\["name"\]$/, "", k); name[k] = $3 }
    $1 ~ /^\["prevResult"\]\["interfaces"\]\[[0-9]+\]\["mac"\]$/ && $2 == "s" { k = $1; sub(/\]\["mac"\]$/, "", k); mac[k] = $3 }
    END { for (k in name) if (name[k] == ENVIRON["IFN"]) { m = mac[k]; found = 1 }
          print (ip ? "ip" : "noip") " " (found ? "if" : "noif") " " m }')
  case $prev in
    noip*) check_failed "prevResult does not list the allocated address $want" ;;
    *" noif"*) check_failed "prevResult does not list the interface $CNI_IFNAME" ;;
  esac
  prev_mac=$(printf '%s' "$prev" | awk '{ print $3 }')

  link=$(nsenter --net="$CNI_NETNS" ip -o link show dev "$CNI_IFNAME" 2> /dev/null) ||
    check_failed "interface $CNI_IFNAME is missing from the network namespace"
  case $link in
    *"<"*UP*">"*) ;;
    *) check_failed "interface $CNI_IFNAME is down" ;;
  esac
  mac_of "$link"
  [ -z "$prev_mac" ] || [ "$prev_mac" = "$MAC" ] ||
    check_failed "interface $CNI_IFNAME has MAC $MAC, prevResult says $prev_mac"
  addresses=$(nsenter --net="$CNI_NETNS" ip -o -4 address show dev "$CNI_IFNAME" | awk '{ print $4 }')
  case "
$addresses
" in
    *"
$want
"*) ;;
    *) check_failed "interface $CNI_IFNAME does not carry its address $want (it has: $(printf '%s ' "$addresses" | tr '\n' ' '))" ;;
  esac
  routes=$(nsenter --net="$CNI_NETNS" ip -4 route show default)
  case "
$routes
" in
    *"
default via $GATEWAY dev $CNI_IFNAME"*) ;;
    *) check_failed "no default route via $GATEWAY dev $CNI_IFNAME (routes: $routes)" ;;
  esac
  host_link "$CNI_CONTAINERID" "$CNI_IFNAME"
  ip -o link show dev "$HOST_IF" 2> /dev/null | grep -q " master $BRIDGE " ||
    check_failed "node interface $HOST_IF is missing or not attached to bridge $BRIDGE"
}

# ───────────── GC (1.1.0) ─────────────
cmd_gc() {
  read_config
  [ "$REPLY_VERSION" = 1.1.0 ] || fail 1 "GC needs cniVersion 1.1.0, the configuration says $REPLY_VERSION"
  json_get '["cni.dev/valid-attachments"]' a > /dev/null ||
    fail 7 "invalid network configuration: GC needs cni.dev/valid-attachments (an array)"
  [ -d "$STORE" ] || return 0
  valid=$(printf '%s\n' "$FLAT" | awk -F '\t' '
    $2 == "s" && $1 ~ /^\["cni\.dev\/valid-attachments"\]\[[0-9]+\]\["(containerID|ifname)"\]$/ {
      k = $1; sub(/^\["cni\.dev\/valid-attachments"\]\[/, "", k); field = k; sub(/\].*/, "", k)
      if (field ~ /containerID/) id[k] = $3; else ifn[k] = $3
    }
    END { for (k in id) print id[k] "\t" ifn[k] }')
  lock_store
  # Stale: an allocation whose attachment is not valid, and every empty allocation file (its
  # writer was killed before writing it: see allocate). Linear in the store and the valid list,
  # and a fixed number of processes however many are stale: one rm, one ip -batch.
  # The valid list reaches awk on its stdin, ahead of the store (an environment variable is
  # limited to 128 KiB: a few thousand attachments). Its lines always hold a tab, the marker none.
  stale=$({ printf '%s\n' "$valid" 'end-of-valid'; store_list '' ''; } | awk -F '\t' '
    !store { if ($0 == "end-of-valid") store = 1; else if ($0 != "") { pair[$1 "\t" $2] = 1; id[$1] = 1 }; next }
    $2 == "" || (!(($2 "\t" $3) in pair) && !($3 == "" && ($2 in id))) { print }')
  if [ -n "$stale" ]; then
    printf '%s\n' "$stale" | STORE=$STORE awk -F '\t' '$1 != "" { print ENVIRON["STORE"] "/" $1 }' | xargs rm -f --
    # The node ends of their veths: the links whose alias is "podnet CONTAINERID IFNAME" of a
    # stale attachment (the alias host_link gives them), deleted in one ip -batch.
    dels=$( (printf '%s\n' "$stale" 'end-of-stale'; ip -o link show 2> /dev/null) | awk -F '\t' '
      $0 == "end-of-stale" { links = 1; next }
      !links { if ($2 != "") stale["podnet " substr($2, 1, 240) " " $3] = 1; next }
      {
        at = index($0, "\\    alias ")
        if (at == 0) next
        alias = substr($0, at + 11)
        if (!(alias in stale)) next
        split($0, w, " "); name = w[2]; sub(/:$/, "", name); sub(/@.*/, "", name)
        if (name ~ /^pn[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/) print "link del dev " name
      }')
    if [ -n "$dels" ]; then
      printf '%s\n' "$dels" | ip -force -batch - > /dev/null 2>&1 ||
        printf 'podnet: GC could not remove every stale node interface: %s\n' "$(printf '%s' "$dels" | tr '\n' ' ')" >&2
    fi
  fi
  unlock_store
}

# ───────────── STATUS (1.1.0) ─────────────
cmd_status() {
  read_config
  [ "$REPLY_VERSION" = 1.1.0 ] || fail 1 "STATUS needs cniVersion 1.1.0, the configuration says $REPLY_VERSION"
  ip link show dev "$BRIDGE" > /dev/null 2>&1 ||
    fail 50 "bridge $BRIDGE does not exist on this node: the plugin cannot add pods" "podnet apply creates it"
}

# ───────────── dispatch ─────────────
umask 022
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export PATH
case $CNI_COMMAND in
  ADD) cmd_add ;;
  DEL) cmd_del ;;
  CHECK) cmd_check ;;
  GC) cmd_gc ;;
  STATUS) cmd_status ;;
  VERSION) printf '{"cniVersion":"%s","supportedVersions":[%s]}\n' "$LATEST_VERSION" "$SUPPORTED_VERSIONS" ;;
  '') fail 4 "required environment variable CNI_COMMAND is missing" ;;
  *) fail 4 "unknown CNI_COMMAND $CNI_COMMAND (ADD, DEL, CHECK, GC, STATUS, VERSION)" ;;
esac
exit 0
