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
# Rounds DEL watches the veth leave sysfs before it waits for ip (see cmd_del).
DEL_WATCH_ROUNDS=1000
# The cniVersion errors are reported in until the configuration's own version is known.
REPLY_VERSION=$LATEST_VERSION
FLAT=''
NL='
'

# ───────────── JSON in ─────────────
# ADD and DEL read their configuration into the shell and check it with json_scan (no process); the
# awk below decides whenever json_scan does not say yes, and is what CHECK and GC (which look deep
# into prevResult and cni.dev/valid-attachments) read stdin with.
#
# json-flatten.awk, a strict parser that flattens its input into one line per value.
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

# skip_ws: drops the JSON whitespace at the start of s; exit 1 at any other blank (CR, VT, FF:
# json_scan leaves those to the awk).
skip_ws() {
  run=${s%%[![:space:]]*}
  # shellcheck disable=SC2101 # [:blank:] is a class inside the bracket expression [!…]
  case $run in *[![:blank:]"$NL"]*) return 1 ;; esac
  s=${s#"$run"}
}

# scan_string: s starts with a quote; sets STR to the string's raw text (escapes kept, as the awk
# gives it) and drops the string from s; exit 1 when it is not a plain, well-formed one.
scan_string() {
  s=${s#?}
  STR=''
  while :; do
    run=${s%%[\"\\]*}
    [ "$run" != "$s" ] || return 1
    case $run in *[[:cntrl:]]*) return 1 ;; esac
    STR=$STR$run
    s=${s#"$run"}
    case $s in
      '"'*) s=${s#?}; return 0 ;;
      \\[\"\\/bfnrt]*) STR=$STR${s%"${s#??}"}; s=${s#??} ;;
      \\u[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]*) STR=$STR${s%"${s#??????}"}; s=${s#??????} ;;
      *) return 1 ;;
    esac
  done
}

# scan_number: s starts with - or a digit; drops one JSON number from s (exit 1 when malformed).
scan_number() {
  t=${s#-}
  digits=${t%%[!0-9]*}
  case $digits in '' | 0?*) return 1 ;; esac
  t=${t#"$digits"}
  case $t in
    .[0-9]*) t=${t#.}; digits=${t%%[!0-9]*}; t=${t#"$digits"} ;;
    .*) return 1 ;;
  esac
  case $t in
    [eE]*) t=${t#?}; t=${t#[-+]}; digits=${t%%[!0-9]*}; [ -n "$digits" ] || return 1; t=${t#"$digits"} ;;
  esac
  # The awk reads a number from at most 64 characters: longer ones are the awk's to judge.
  [ $((${#s} - ${#t})) -le 60 ] || return 1
  s=$t
}

# json_scan TEXT: whether TEXT is one JSON value, checked in the shell: a run of plain characters
# goes in one parameter expansion, so the loop turns once per token, not per character. Where it
# says yes the awk says yes too; it may say no to valid but unusual text (control characters, CR
# line ends, more than 32 levels, numbers over 60 characters): read_config then asks the awk, which
# decides and names the fault. On yes it sets ROOT_TYPE (o a s n b z), and from the first top-level
# "cniVersion" and "name" strings (raw text) HAS_VERSION/REQUESTED and HAS_NAME/CONFIG_NAME.
json_scan() {
  s=$1
  stack=''
  expect=value
  key=''
  ROOT_TYPE=''
  HAS_VERSION=0
  REQUESTED=''
  HAS_NAME=0
  CONFIG_NAME=''
  while :; do
    case $s in [[:space:]]*) skip_ws || return 1 ;; esac
    case $expect in
      end) [ -z "$s" ]; return ;;
      key | 'key}')
        case $s in
          '}'*) [ "$expect" = 'key}' ] || return 1; s=${s#?}; stack=${stack%?} ;;
          '"'*)
            scan_string || return 1
            case $s in [[:space:]]*) skip_ws || return 1 ;; esac
            key=$STR
            case $s in :*) s=${s#:}; expect=value; continue ;; *) return 1 ;; esac ;;
          *) return 1 ;;
        esac ;;
      value | 'value]')
        type=''
        case $s in
          ']'*) [ "$expect" = 'value]' ] || return 1; s=${s#?}; stack=${stack%?} ;;
          '{'*) s=${s#?}; stack=${stack}o; expect='key}'; type=o ;;
          '['*) s=${s#?}; stack=${stack}a; expect='value]'; type=a ;;
          '"'*) scan_string || return 1; type=s ;;
          [-0-9]*) scan_number || return 1; type=n ;;
          true*) s=${s#true}; type=b ;;
          false*) s=${s#false}; type=b ;;
          null*) s=${s#null}; type=z ;;
          *) return 1 ;;
        esac
        [ -n "$ROOT_TYPE" ] || ROOT_TYPE=$type
        case $type in
          o | a) [ ${#stack} -le 32 ] || return 1; continue ;;
          s)
            if [ "$stack" = o ]; then
              case $key in
                cniVersion) [ "$HAS_VERSION" = 1 ] || { HAS_VERSION=1; REQUESTED=$STR; } ;;
                name) [ "$HAS_NAME" = 1 ] || { HAS_NAME=1; CONFIG_NAME=$STR; } ;;
              esac
            fi ;;
        esac ;;
      more)
        case $s in
          ,*) s=${s#,}; case $stack in *o) expect=key ;; *) expect=value ;; esac; continue ;;
          '}'*) case $stack in *o) ;; *) return 1 ;; esac; s=${s#?}; stack=${stack%?} ;;
          ']'*) case $stack in *a) ;; *) return 1 ;; esac; s=${s#?}; stack=${stack%?} ;;
          *) return 1 ;;
        esac ;;
    esac
    # A value (or a container) just ended.
    if [ -z "$stack" ]; then expect=end; else expect='more'; fi
  done
  return 1
}

# ───────────── JSON out ─────────────
# json_string TEXT: sets JSON_STR to TEXT as a JSON string literal, quotes included. Text without
# a quote, backslash or control character is one already; the awk escapes the rest.
json_string() {
  case $1 in
    *[\"\\[:cntrl:]]*) ;;
    *) JSON_STR="\"$1\""; return 0 ;;
  esac
  JSON_STR=$(JSON_TEXT=$1 awk 'BEGIN {
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
  }')
}

# fail CODE MESSAGE [DETAILS]: print a CNI error on stdout and exit non-zero.
fail() {
  json_string "$2"
  if [ -n "$3" ]; then
    msg=$JSON_STR
    json_string "$3"
    printf '{"cniVersion":"%s","code":%s,"msg":%s,"details":%s}\n' "$REPLY_VERSION" "$1" "$msg" "$JSON_STR"
  else
    printf '{"cniVersion":"%s","code":%s,"msg":%s}\n' "$REPLY_VERSION" "$1" "$JSON_STR"
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

# read_config [flat]: reads the network configuration from stdin, checks cniVersion and name.
# With "flat" (CHECK and GC, which look deeper) FLAT holds the whole of it, flattened by the awk.
# Without, the shell reads it (a few hundred bytes: ADD's, or DEL's with its prevResult) and
# json_scan checks it; only when json_scan does not say yes does the awk read it.
read_config() {
  if [ "$1" = flat ]; then
    FLAT=$(awk "$JSON_FLATTEN_AWK") || config_not_json
    facts_from_flat
  else
    CONFIG=''
    while IFS= read -r line; do CONFIG=$CONFIG$line$NL; done
    CONFIG=$CONFIG$line
    if ! json_scan "$CONFIG"; then
      FLAT=$(printf '%s' "$CONFIG" | awk "$JSON_FLATTEN_AWK") || config_not_json
      facts_from_flat
    fi
  fi
  [ "$ROOT_TYPE" = o ] || fail 7 "invalid network configuration: not a JSON object"
  [ "$HAS_VERSION" = 1 ] || fail 7 "invalid network configuration: cniVersion (string) is missing"
  case ",$SUPPORTED_VERSIONS," in
    *",\"$REQUESTED\","*) REPLY_VERSION=$REQUESTED ;;
    *) fail 1 "incompatible CNI version $REQUESTED: this plugin supports $SUPPORTED_VERSIONS" ;;
  esac
  [ "$HAS_NAME" = 1 ] || fail 7 "invalid network configuration: name (string) is missing"
  [ "$CONFIG_NAME" = "$NETWORK_NAME" ] ||
    fail 7 "invalid network configuration: name is \"$CONFIG_NAME\" but this plugin serves network \"$NETWORK_NAME\""
}

config_not_json() {
  fail 6 "cannot decode the network configuration: not valid JSON" \
    "$(printf '%s\n' "$FLAT" | awk -F '\t' '$1 == "!" { print $2 }')"
}

# facts_from_flat: ROOT_TYPE, HAS_VERSION/REQUESTED and HAS_NAME/CONFIG_NAME (as json_scan sets
# them) from FLAT, in one pass: each value behind a flag line (1 = present), read back with read.
facts_from_flat() {
  summary=$(printf '%s\n' "$FLAT" | awk -F '\t' '
    $1 == "" { root = $2 }
    $1 == "[\"cniVersion\"]" && $2 == "s" && !hv { hv = 1; v = $3 }
    $1 == "[\"name\"]" && $2 == "s" && !hn { hn = 1; n = $3 }
    END { print root; print hv + 0; print v; print hn + 0; print n }')
  {
    IFS= read -r ROOT_TYPE
    IFS= read -r HAS_VERSION
    IFS= read -r REQUESTED
    IFS= read -r HAS_NAME
    IFS= read -r CONFIG_NAME
  } << EOF_SUMMARY
$summary
EOF_SUMMARY
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
# CRC_0 … CRC_255: the table of the CRC that cksum computes (POSIX: polynomial 0x04C11DB7, MSB first).
# shellcheck disable=SC2034 # read through $entry in host_link
{
CRC_0=0 CRC_1=79764919 CRC_2=159529838 CRC_3=222504665 CRC_4=319059676 CRC_5=398814059 CRC_6=445009330 CRC_7=507990021
CRC_8=638119352 CRC_9=583659535 CRC_10=797628118 CRC_11=726387553 CRC_12=890018660 CRC_13=835552979 CRC_14=1015980042 CRC_15=944750013
CRC_16=1276238704 CRC_17=1221641927 CRC_18=1167319070 CRC_19=1095957929 CRC_20=1595256236 CRC_21=1540665371 CRC_22=1452775106 CRC_23=1381403509
CRC_24=1780037320 CRC_25=1859660671 CRC_26=1671105958 CRC_27=1733955601 CRC_28=2031960084 CRC_29=2111593891 CRC_30=1889500026 CRC_31=1952343757
CRC_32=2552477408 CRC_33=2632100695 CRC_34=2443283854 CRC_35=2506133561 CRC_36=2334638140 CRC_37=2414271883 CRC_38=2191915858 CRC_39=2254759653
CRC_40=3190512472 CRC_41=3135915759 CRC_42=3081330742 CRC_43=3009969537 CRC_44=2905550212 CRC_45=2850959411 CRC_46=2762807018 CRC_47=2691435357
CRC_48=3560074640 CRC_49=3505614887 CRC_50=3719321342 CRC_51=3648080713 CRC_52=3342211916 CRC_53=3287746299 CRC_54=3467911202 CRC_55=3396681109
CRC_56=4063920168 CRC_57=4143685023 CRC_58=4223187782 CRC_59=4286162673 CRC_60=3779000052 CRC_61=3858754371 CRC_62=3904687514 CRC_63=3967668269
CRC_64=881225847 CRC_65=809987520 CRC_66=1023691545 CRC_67=969234094 CRC_68=662832811 CRC_69=591600412 CRC_70=771767749 CRC_71=717299826
CRC_72=311336399 CRC_73=374308984 CRC_74=453813921 CRC_75=533576470 CRC_76=25881363 CRC_77=88864420 CRC_78=134795389 CRC_79=214552010
CRC_80=2023205639 CRC_81=2086057648 CRC_82=1897238633 CRC_83=1976864222 CRC_84=1804852699 CRC_85=1867694188 CRC_86=1645340341 CRC_87=1724971778
CRC_88=1587496639 CRC_89=1516133128 CRC_90=1461550545 CRC_91=1406951526 CRC_92=1302016099 CRC_93=1230646740 CRC_94=1142491917 CRC_95=1087903418
CRC_96=2896545431 CRC_97=2825181984 CRC_98=2770861561 CRC_99=2716262478 CRC_100=3215044683 CRC_101=3143675388 CRC_102=3055782693 CRC_103=3001194130
CRC_104=2326604591 CRC_105=2389456536 CRC_106=2200899649 CRC_107=2280525302 CRC_108=2578013683 CRC_109=2640855108 CRC_110=2418763421 CRC_111=2498394922
CRC_112=3769900519 CRC_113=3832873040 CRC_114=3912640137 CRC_115=3992402750 CRC_116=4088425275 CRC_117=4151408268 CRC_118=4197601365 CRC_119=4277358050
CRC_120=3334271071 CRC_121=3263032808 CRC_122=3476998961 CRC_123=3422541446 CRC_124=3585640067 CRC_125=3514407732 CRC_126=3694837229 CRC_127=3640369242
CRC_128=1762451694 CRC_129=1842216281 CRC_130=1619975040 CRC_131=1682949687 CRC_132=2047383090 CRC_133=2127137669 CRC_134=1938468188 CRC_135=2001449195
CRC_136=1325665622 CRC_137=1271206113 CRC_138=1183200824 CRC_139=1111960463 CRC_140=1543535498 CRC_141=1489069629 CRC_142=1434599652 CRC_143=1363369299
CRC_144=622672798 CRC_145=568075817 CRC_146=748617968 CRC_147=677256519 CRC_148=907627842 CRC_149=853037301 CRC_150=1067152940 CRC_151=995781531
CRC_152=51762726 CRC_153=131386257 CRC_154=177728840 CRC_155=240578815 CRC_156=269590778 CRC_157=349224269 CRC_158=429104020 CRC_159=491947555
CRC_160=4046411278 CRC_161=4126034873 CRC_162=4172115296 CRC_163=4234965207 CRC_164=3794477266 CRC_165=3874110821 CRC_166=3953728444 CRC_167=4016571915
CRC_168=3609705398 CRC_169=3555108353 CRC_170=3735388376 CRC_171=3664026991 CRC_172=3290680682 CRC_173=3236090077 CRC_174=3449943556 CRC_175=3378572211
CRC_176=3174993278 CRC_177=3120533705 CRC_178=3032266256 CRC_179=2961025959 CRC_180=2923101090 CRC_181=2868635157 CRC_182=2813903052 CRC_183=2742672763
CRC_184=2604032198 CRC_185=2683796849 CRC_186=2461293480 CRC_187=2524268063 CRC_188=2284983834 CRC_189=2364738477 CRC_190=2175806836 CRC_191=2238787779
CRC_192=1569362073 CRC_193=1498123566 CRC_194=1409854455 CRC_195=1355396672 CRC_196=1317987909 CRC_197=1246755826 CRC_198=1192025387 CRC_199=1137557660
CRC_200=2072149281 CRC_201=2135122070 CRC_202=1912620623 CRC_203=1992383480 CRC_204=1753615357 CRC_205=1816598090 CRC_206=1627664531 CRC_207=1707420964
CRC_208=295390185 CRC_209=358241886 CRC_210=404320391 CRC_211=483945776 CRC_212=43990325 CRC_213=106832002 CRC_214=186451547 CRC_215=266083308
CRC_216=932423249 CRC_217=861060070 CRC_218=1041341759 CRC_219=986742920 CRC_220=613929101 CRC_221=542559546 CRC_222=756411363 CRC_223=701822548
CRC_224=3316196985 CRC_225=3244833742 CRC_226=3425377559 CRC_227=3370778784 CRC_228=3601682597 CRC_229=3530312978 CRC_230=3744426955 CRC_231=3689838204
CRC_232=3819031489 CRC_233=3881883254 CRC_234=3928223919 CRC_235=4007849240 CRC_236=4037393693 CRC_237=4100235434 CRC_238=4180117107 CRC_239=4259748804
CRC_240=2310601993 CRC_241=2373574846 CRC_242=2151335527 CRC_243=2231098320 CRC_244=2596047829 CRC_245=2659030626 CRC_246=2470359227 CRC_247=2550115596
CRC_248=2947551409 CRC_249=2876312838 CRC_250=2788305887 CRC_251=2733848168 CRC_252=3165939309 CRC_253=3094707162 CRC_254=3040238851 CRC_255=2985771188
}
# The byte values of the characters names may hold ([A-Za-z0-9_.-]), from 45 (-) on: # is a gap.
ORDS='-.#0123456789#######ABCDEFGHIJKLMNOPQRSTUVWXYZ####_#abcdefghijklmnopqrstuvwxyz'

# crc_of TEXT: runs the CRC in crc on through the bytes of TEXT (characters of ORDS only).
crc_of() {
  text=$1
  while [ -n "$text" ]; do
    rest=${text#?}
    before=${ORDS%%"${text%"$rest"}"*}
    text=$rest
    entry=CRC_$((((crc >> 24) ^ (45 + ${#before})) & 255))
    # shellcheck disable=SC2004 # $entry names the table entry; arithmetic reads that variable
    crc=$((((crc << 8) & 4294967295) ^ $entry))
  done
}

# host_link CONTAINERID IFNAME: sets HOST_IF (pn + 8 hex digits of the CRC of both, the number
# `printf '%s\n%s' ID IFNAME | cksum` prints, so the same pod always gets the same name) and
# HOST_ALIAS (the link alias that proves the veth is this pod's). In the shell: both names are
# checked ([A-Za-z0-9_.-]) before this runs.
host_link() {
  crc=0
  crc_of "$1"
  entry=CRC_$((((crc >> 24) ^ 10) & 255))
  # shellcheck disable=SC2004 # $entry names the table entry; arithmetic reads that variable
  crc=$((((crc << 8) & 4294967295) ^ $entry))
  crc_of "$2"
  # Then the length, least significant byte first, then the complement.
  length=$((${#1} + 1 + ${#2}))
  while [ "$length" -gt 0 ]; do
    entry=CRC_$((((crc >> 24) ^ length) & 255))
    # shellcheck disable=SC2004 # $entry names the table entry; arithmetic reads that variable
    crc=$((((crc << 8) & 4294967295) ^ $entry))
    length=$((length >> 8))
  done
  crc=$((crc ^ 4294967295))
  HOST_IF=''
  for _ in 1 2 3 4 5 6 7 8; do
    digit=$((crc & 15))
    case $digit in 10) digit=a ;; 11) digit=b ;; 12) digit=c ;; 13) digit=d ;; 14) digit=e ;; 15) digit=f ;; esac
    HOST_IF=$digit$HOST_IF
    crc=$((crc >> 4))
  done
  HOST_IF=pn$HOST_IF
  if [ ${#1} -le 240 ]; then
    HOST_ALIAS="podnet $1 $2"
  else
    HOST_ALIAS=$(printf 'podnet %.240s %s' "$1" "$2")
  fi
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

# owned_host_link: sets HOST_IF and HOST_ALIAS of this attachment; whether that link is on the
# node with that alias, i.e. is this pod's to delete. The name comes from the podnet+ file when
# there is one (ADD wrote it there), else from host_link. The alias is read from sysfs first (no
# process: the runtime's /sys, or the one `ip netns exec` mounts, shows this namespace's links;
# then ALIAS_FROM_SYSFS=1, and DEL may watch the link leave sysfs); when sysfs does not show it,
# ip is asked.
owned_host_link() {
  HOST_IF=''
  if [ ${#CNI_CONTAINERID} -le 200 ]; then
    { IFS= read -r _ && IFS= read -r HOST_IF; } < "$STORE/podnet+$CNI_CONTAINERID+$CNI_IFNAME" 2> /dev/null
  fi
  case $HOST_IF in
    pn[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) HOST_ALIAS="podnet $CNI_CONTAINERID $CNI_IFNAME" ;;
    *) host_link "$CNI_CONTAINERID" "$CNI_IFNAME" ;;
  esac
  alias=''
  ALIAS_FROM_SYSFS=''
  { IFS= read -r alias < "/sys/class/net/$HOST_IF/ifalias"; } 2> /dev/null
  [ "$alias" = "$HOST_ALIAS" ] && ALIAS_FROM_SYSFS=1 && return 0
  has_alias "$HOST_IF" "$HOST_ALIAS"
}

# ───────────── the address store, laid out like host-local's ─────────────
# $STORE/<ip> holds "<containerid>\r\n<ifname>"; last_reserved_ip.0 the last address handed out;
# every read-modify-write runs under flock on $STORE/lock (the lock host-local takes too).
# podnet also keeps $STORE/podnet+<containerid>+<ifname> holding the address and the node end's
# name (a line each), so DEL and a second ADD find an attachment's address without reading the
# whole store, and DEL its veth without computing its name (+ is in no container id or ifname). host-local ignores these files (it looks for its container id in each file's text).
# Allocations without one (host-local's, an older podnet's) are found by reading the store.
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

# ref_lookup: sets REF to this attachment's podnet+ file (empty when the container id is too long
# for a file name), and REF_IP to the address it records when that address's allocation file
# names this attachment (empty otherwise: then REF is stale or missing). Built in (lock held).
ref_lookup() {
  REF=''
  REF_IP=''
  [ ${#CNI_CONTAINERID} -le 200 ] || return 0
  REF="$STORE/podnet+$CNI_CONTAINERID+$CNI_IFNAME"
  [ -f "$REF" ] || return 0
  ref_ip=''
  IFS= read -r ref_ip < "$REF"
  case $ref_ip in '' | *[!0-9.]*) return 0 ;; esac
  [ -f "$STORE/$ref_ip" ] || return 0
  owner=''
  owner_if=''
  { IFS= read -r owner && IFS= read -r owner_if; } < "$STORE/$ref_ip"
  # Trailing blanks (the \r of "\r\n") go, as host-local trims them.
  owner=${owner%"${owner##*[![:space:]]}"}
  owner_if=${owner_if%"${owner_if##*[![:space:]]}"}
  [ "$owner" = "$CNI_CONTAINERID" ] || return 0
  [ -z "$owner_if" ] || [ "$owner_if" = "$CNI_IFNAME" ] || return 0
  REF_IP=$ref_ip
}

# store_release: removes this attachment's allocations and its podnet+ file, with one rm (lock held).
store_release() {
  ref_lookup
  if [ -n "$REF_IP" ]; then
    rm -f -- "$STORE/$REF_IP" "$REF"
    released=$REF_IP
    return
  fi
  release=''
  for address in $(store_find "$CNI_CONTAINERID" "$CNI_IFNAME"); do
    release="$release $STORE/$address"
  done
  [ -z "$REF" ] || [ ! -e "$REF" ] || release="$release $REF"
  # shellcheck disable=SC2086 # the paths hold no blank (checked names under DATA_DIR): split on purpose
  [ -z "$release" ] || rm -f -- $release
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
      # is still writing it. It holds no container: take it back (truncating it is taking it).
      if [ -f "$STORE/$IP_STR" ] && [ ! -s "$STORE/$IP_STR" ]; then
        printf '%s\r\n%s' "$CNI_CONTAINERID" "$CNI_IFNAME" > "$STORE/$IP_STR"
        taken=1
      else
        # set -C: the file is created exclusively (O_EXCL), as host-local does; built in, no subshell.
        taken=0
        set -C
        if { printf '%s\r\n%s' "$CNI_CONTAINERID" "$CNI_IFNAME" > "$STORE/$IP_STR"; } 2> /dev/null; then taken=1; fi
        set +C
      fi
      if [ "$taken" = 1 ]; then
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
REF=''

# add_failed CODE MESSAGE [DETAILS]: undoes what ADD did so far, then fails.
add_failed() {
  if [ -n "$HOST_IF_CREATED" ]; then
    ip link del dev "$HOST_IF" 2> /dev/null
  fi
  if [ -n "$POD_IP" ]; then
    lock_store
    rm -f -- "$STORE/$POD_IP" ${REF:+"$REF"}
    unlock_store
  fi
  fail "$@"
}

# mac_of NAME TEXT: sets MAC to the address of link NAME in TEXT, the output of an
# `ip -br link show` ("NAME@ifN  STATE  MAC  <FLAGS>"). Brief, because the full form names the
# peer's namespace, which ip finds by opening every namespace in /run/netns.
mac_of() {
  MAC=''
  rest="$NL$2"
  case $rest in *"$NL$1@"*) ;; *) return 0 ;; esac
  rest=${rest#*"$NL$1@"}
  rest=${rest%%"$NL"*}
  set -f
  # shellcheck disable=SC2086 # split into words on purpose (globbing is off)
  set -- $rest
  set +f
  MAC=$3
}

# pod_batch LINES: runs LINES with one `ip -batch` inside the pod's namespace; sets POD_LINK to its
# output (and errors). `ip -n NAME` opens NETNS_RUN_DIR/NAME: a NAME climbing out of that
# directory with .. reaches any absolute path, so no nsenter is needed. When ip cannot enter that
# way (no NETNS_RUN_DIR, an ip that reads -n otherwise: it fails before running any line), nsenter.
pod_batch() {
  POD_LINK=$(ip -n "../../../../../../../..$CNI_NETNS" -br -batch - 2>&1 << EOF_BATCH
$1
EOF_BATCH
  ) && return 0
  case $POD_LINK in *"Command failed -:"*) return 1 ;; esac
  POD_LINK=$(nsenter --net="$CNI_NETNS" ip -br -batch - 2>&1 << EOF_BATCH
$1
EOF_BATCH
  )
}

cmd_add() {
  require_env CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH
  check_container_id
  check_netns
  check_ifname
  read_config
  host_link "$CNI_CONTAINERID" "$CNI_IFNAME"
  lock_store
  ref_lookup
  if [ -n "$REF_IP" ]; then
    unlock_store
    fail 101 "container $CNI_CONTAINERID already has address $REF_IP for $CNI_IFNAME on network $NETWORK_NAME" \
      "a second ADD for the same container and interface is refused; DEL it first"
  fi
  if ! allocate; then
    unlock_store
    fail 11 "no free address left in $SUBNET on network $NETWORK_NAME" \
      "all $((LAST_INT - FIRST_INT)) usable addresses are allocated (see $STORE); try again once pods are deleted"
  fi
  [ -z "$REF" ] || printf '%s\n%s\n' "$POD_IP" "$HOST_IF" > "$REF"
  unlock_store
  # A runtime that gives up kills the plugin: undo on the way out rather than leak the address.
  trap 'add_failed 100 "ADD interrupted by a signal"' HUP INT TERM

  # The node side in one ip: the veth, born with its pod end already inside the pod's namespace
  # under its final name ("netns PATH" opens PATH when it holds a slash: /run/netns/X and
  # /proc/PID/ns/net alike), on the bridge, tagged, up. A path ip -batch cannot quote is passed
  # as an argument of its own ip instead.
  case $CNI_NETNS in
    *[!A-Za-z0-9_./+:@-]*)
      if ERR=$(ip link add "$HOST_IF" mtu "$MTU" type veth peer name "$CNI_IFNAME" mtu "$MTU" netns "$CNI_NETNS" 2>&1); then
        create=''
      else
        create=failed
      fi ;;
    *) create="link add $HOST_IF mtu $MTU type veth peer name $CNI_IFNAME mtu $MTU netns $CNI_NETNS" ;;
  esac
  # The first "link show" proves the veth was made, whichever later line fails (ip -batch reports
  # a bad argument without its line number).
  if [ "$create" != failed ]; then
    if HOST_LINK=$(ip -br -batch - 2>&1 << EOF_HOST
$create
link show dev $HOST_IF
link set dev $HOST_IF master $BRIDGE alias "$HOST_ALIAS" up
EOF_HOST
    ); then
      HOST_IF_CREATED=1
    else
      case $HOST_LINK in
        "$HOST_IF@"* | *"$NL$HOST_IF@"*)
          # The details: ip's error, without the "link show" line that proved the veth was made.
          HOST_IF_CREATED=1
          details=''
          while IFS= read -r line; do
            case $line in "$HOST_IF@"*) ;; *) details=${details:+$details$NL}$line ;; esac
          done << EOF_DETAILS
$HOST_LINK
EOF_DETAILS
          add_failed 100 "cannot attach $HOST_IF to bridge $BRIDGE" "$details" ;;
      esac
      create=failed
      ERR=$HOST_LINK
    fi
  fi
  if [ "$create" = failed ]; then
    if [ ! -e "$CNI_NETNS" ]; then
      add_failed 3 "network namespace $CNI_NETNS does not exist" "$ERR"
    elif nsenter --net="$CNI_NETNS" ip link show dev "$CNI_IFNAME" > /dev/null 2>&1; then
      add_failed 101 "interface $CNI_IFNAME already exists in network namespace $CNI_NETNS" "$ERR"
    elif ip link show dev "$HOST_IF" > /dev/null 2>&1; then
      add_failed 101 "node interface $HOST_IF already exists" "$ERR"
    fi
    add_failed 100 "cannot create the veth pair $HOST_IF/$CNI_IFNAME" "$ERR"
  fi

  # The pod side in one ip.
  if ! pod_batch "address add $POD_IP/$PREFIX_LEN dev $CNI_IFNAME
link set dev $CNI_IFNAME up
link set dev lo up
route add default via $GATEWAY dev $CNI_IFNAME
link show dev $CNI_IFNAME"; then
    add_failed 100 "cannot configure $CNI_IFNAME in network namespace $CNI_NETNS" "$POD_LINK"
  fi

  trap - HUP INT TERM
  version_field=''
  [ "$REPLY_VERSION" = 0.4.0 ] && version_field='"version":"4",'
  json_string "$CNI_NETNS"
  sandbox=$JSON_STR
  mac_of "$HOST_IF" "$HOST_LINK"
  host_mac=$MAC
  mac_of "$CNI_IFNAME" "$POD_LINK"
  printf '{"cniVersion":"%s","interfaces":[{"name":"%s","mac":"%s"},{"name":"%s","mac":"%s","sandbox":%s}],' \
    "$REPLY_VERSION" "$HOST_IF" "$host_mac" "$CNI_IFNAME" "$MAC" "$sandbox"
  printf '"ips":[{%s"address":"%s/%s","gateway":"%s","interface":1}],"routes":[{"dst":"0.0.0.0/0","gw":"%s"}],"dns":{}}\n' \
    "$version_field" "$POD_IP" "$PREFIX_LEN" "$GATEWAY" "$GATEWAY"
}

# ───────────── DEL ─────────────
# DEL answers once the veth is gone from the node, without waiting for the kernel to free it.
# Deleting a veth takes the kernel two steps: it unregisters both ends (off the bridge, addresses
# and routes gone, both names free: a few milliseconds), then, with its own lock released, waits
# for the network stack to let go of the devices (RCU grace periods: 10-40 ms here) before
# `ip link del` returns. Nothing anyone can see or meet is left in the second step, so DEL waits
# for the first only: it starts ip, releases the address under the store's lock meanwhile (one
# flock, one rm), then watches the node end leave sysfs (builtins) and answers; ip finishes on its
# own, holding nothing (neither the lock nor the runtime's stdout and stderr). DEL keeps the lock
# until the veth is gone, so whoever takes it next (an ADD that could get this address, an ADD of
# this very pod again) meets neither the old veth nor its name. Should ip end with the veth still
# there, the kernel refused: the address is taken back before DEL fails with code 100 (the pod
# still holds it). When sysfs does not show this namespace's links (the alias came from ip, see
# owned_host_link), DEL waits for ip itself.
cmd_del() {
  require_env CNI_CONTAINERID CNI_IFNAME CNI_PATH
  check_container_id
  check_ifname
  read_config
  # The netns may already be gone (its veth with it); DEL still releases the address.
  deleting=''
  if owned_host_link; then
    ip link del dev "$HOST_IF" > /dev/null 2>&1 &
    deleting=$!
  fi
  released=''
  if [ -d "$STORE" ]; then
    lock_store
    store_release
  fi
  [ -n "$deleting" ] || return 0
  # /proc must be this shell's PID namespace's (its self is this shell) for /proc/PID to be ip.
  proc_self=''
  { read -r proc_self _ < /proc/self/stat; } 2> /dev/null
  if [ -n "$ALIAS_FROM_SYSFS" ] && [ "$proc_self" = "$$" ]; then
    # Until the node end has left sysfs, or ip has ended (its /proc/PID/exe goes when it exits;
    # kill -0 would find it until it is waited for), for at most DEL_WATCH_ROUNDS rounds (about
    # 30 ms; 9 in 10 DELs are done within 900): when the kernel is busy (many deletes queue for its
    # one rtnl lock) the watch would burn a CPU that the deletes need, so DEL waits for ip instead.
    rounds=0
    while [ -e "/sys/class/net/$HOST_IF" ] && [ -e "/proc/$deleting/exe" ] && [ "$rounds" -lt "$DEL_WATCH_ROUNDS" ]; do rounds=$((rounds + 1)); done
    [ -e "/sys/class/net/$HOST_IF" ] || return 0
  fi
  wait "$deleting" && return 0
  # Refused, or gone meanwhile: ask again for the kernel's reason.
  ERR=$(ip link del dev "$HOST_IF" 2>&1) && return 0
  ip link show dev "$HOST_IF" > /dev/null 2>&1 || return 0
  if [ -n "$released" ]; then
    restored=''
    set -C
    if { printf '%s\r\n%s' "$CNI_CONTAINERID" "$CNI_IFNAME" > "$STORE/$released"; } 2> /dev/null; then restored=1; fi
    set +C
    [ -z "$restored" ] || [ -z "$REF" ] || printf '%s\n%s\n' "$released" "$HOST_IF" > "$REF"
  fi
  fail 100 "cannot remove $HOST_IF" "$ERR"
}

# ───────────── dispatch: ADD and DEL ─────────────
# The shell parses a script as it runs it: ADD and DEL leave before CHECK, GC and STATUS are read.
umask 022
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export PATH
case $CNI_COMMAND in
  ADD) cmd_add; exit 0 ;;
  DEL) cmd_del; exit 0 ;;
esac

# ───────────── CHECK ─────────────
check_failed() {
  fail 102 "CHECK: $1" "container $CNI_CONTAINERID, interface $CNI_IFNAME, network namespace $CNI_NETNS"
}

cmd_check() {
  require_env CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH
  check_container_id
  check_netns
  check_ifname
  read_config flat
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
  # shellcheck disable=SC2086 # "ip|noip if|noif MAC": split into words on purpose
  set -- $prev
  prev_mac=$3

  # The pod side in one ip: its addresses, its interface, its default routes (a line each, the
  # routes one or more). Addresses first: in one ip -batch, an "address show" after a "link show"
  # prints the link again instead (iproute2 6.1).
  pod_batch "address show dev $CNI_IFNAME
link show dev $CNI_IFNAME
route show default" ||
    check_failed "interface $CNI_IFNAME is missing from the network namespace"
  address_line=${POD_LINK%%"$NL"*}
  rest=${POD_LINK#*"$NL"}
  link=${rest%%"$NL"*}
  routes=${rest#*"$NL"}
  [ "$routes" != "$rest" ] || routes=''
  case $link in
    *"<"*UP*">"*) ;;
    *) check_failed "interface $CNI_IFNAME is down" ;;
  esac
  mac_of "$CNI_IFNAME" "$link"
  [ -z "$prev_mac" ] || [ "$prev_mac" = "$MAC" ] ||
    check_failed "interface $CNI_IFNAME has MAC $MAC, prevResult says $prev_mac"
  # "eth0@if5  UP  10.244.1.2/24 fe80::…/64": the IPv4 ones, from the third word on.
  addresses=''
  set -f
  # shellcheck disable=SC2086 # split into words on purpose (globbing is off)
  set -- $address_line
  set +f
  [ $# -lt 2 ] || shift 2
  for address in "$@"; do
    case $address in *.*.*.*/*) addresses="$addresses $address" ;; esac
  done
  case "$addresses " in
    *" $want "*) ;;
    *) check_failed "interface $CNI_IFNAME does not carry its address $want (it has:$addresses)" ;;
  esac
  case "
$routes" in
    *"
default via $GATEWAY dev $CNI_IFNAME"*) ;;
    *) check_failed "no default route via $GATEWAY dev $CNI_IFNAME (routes: $routes)" ;;
  esac
  host_link "$CNI_CONTAINERID" "$CNI_IFNAME"
  node_port=$(ip -o link show dev "$HOST_IF" 2> /dev/null)
  case $node_port in
    *" master $BRIDGE "*) ;;
    *) check_failed "node interface $HOST_IF is missing or not attached to bridge $BRIDGE" ;;
  esac
}

# ───────────── GC (1.1.0) ─────────────
cmd_gc() {
  read_config flat
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
  # The podnet+ files (see ref_lookup) of attachments that are not valid, in one rm.
  set -- "$STORE"/podnet+*
  if [ -e "$1" ]; then
    printf '%s\n' "$valid" 'end-of-valid' "$@" | awk -F '\t' '
      !files { if ($0 == "end-of-valid") files = 1; else if ($0 != "") pair["podnet+" $1 "+" $2] = 1; next }
      { name = $0; sub(/.*\//, "", name); if (!(name in pair)) print }' | xargs rm -f --
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

# ───────────── dispatch: the rest ─────────────
case $CNI_COMMAND in
  CHECK) cmd_check ;;
  GC) cmd_gc ;;
  STATUS) cmd_status ;;
  VERSION) printf '{"cniVersion":"%s","supportedVersions":[%s]}\n' "$LATEST_VERSION" "$SUPPORTED_VERSIONS" ;;
  '') fail 4 "required environment variable CNI_COMMAND is missing" ;;
  *) fail 4 "unknown CNI_COMMAND $CNI_COMMAND (ADD, DEL, CHECK, GC, STATUS, VERSION)" ;;
esac
exit 0
