# A strict JSON parser that flattens its input into one line per value (see plugin.sh).
# renderPlugin splices this file, minus these leading comment lines, into plugin.sh's
# JSON_FLATTEN_AWK='...' string: it must never contain a single quote.
function die(m) { print "!\t" m; exit 2 }
function ws(   c) {
  while (i <= n) { c = substr(s, i, 1); if (c == " " || c == "\t" || c == "\n" || c == "\r") i++; else break }
}
function str(   c, e) {
  tok = ""; i++
  for (;;) {
    if (i > n) die("unterminated string")
    c = substr(s, i, 1)
    if (c == "\"") { i++; return }
    if (c == "\\") {
      e = substr(s, i + 1, 1)
      if (e == "u") {
        if (substr(s, i + 2, 4) !~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]$/) die("bad \\u escape at offset " i)
        tok = tok substr(s, i, 6); i += 6; continue
      }
      if (index("\"\\/bfnrt", e) == 0 || e == "") die("bad escape at offset " i)
      tok = tok c e; i += 2; continue
    }
    if (c < " ") die("control character in string at offset " i)
    tok = tok c; i++
  }
}
function num(p,   t) {
  t = substr(s, i, 64)
  if (!match(t, /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) die("bad number at offset " i)
  print p "\tn\t" substr(t, 1, RLENGTH); i += RLENGTH
}
function val(p,   c) {
  depth++
  if (depth > 64) die("nested too deeply")
  ws(); c = substr(s, i, 1)
  if (c == "{") obj(p)
  else if (c == "[") arr(p)
  else if (c == "\"") { str(); print p "\ts\t" tok }
  else if (c == "-" || (c >= "0" && c <= "9")) num(p)
  else if (substr(s, i, 4) == "true") { i += 4; print p "\tb\ttrue" }
  else if (substr(s, i, 5) == "false") { i += 5; print p "\tb\tfalse" }
  else if (substr(s, i, 4) == "null") { i += 4; print p "\tz\t" }
  else if (i > n) die("unexpected end of input")
  else die("unexpected character at offset " i)
  depth--
}
function obj(p,   k, c) {
  print p "\to\t"; i++; ws()
  if (substr(s, i, 1) == "}") { i++; return }
  for (;;) {
    ws()
    if (substr(s, i, 1) != "\"") die("expected a key at offset " i)
    str(); k = tok; ws()
    if (substr(s, i, 1) != ":") die("expected : at offset " i)
    i++
    val(p "[\"" k "\"]"); ws()
    c = substr(s, i, 1); i++
    if (c == ",") continue
    if (c == "}") return
    die("expected , or } at offset " (i - 1))
  }
}
function arr(p,   k, c) {
  print p "\ta\t"; i++; ws()
  if (substr(s, i, 1) == "]") { i++; return }
  for (k = 0; ; k++) {
    val(p "[" k "]"); ws()
    c = substr(s, i, 1); i++
    if (c == ",") continue
    if (c == "]") return
    die("expected , or ] at offset " (i - 1))
  }
}
# The whole input as one record (no JSON text holds a raw \001): appending line by line would copy
# the text read so far once per line, quadratic in a pretty-printed configuration.
BEGIN { RS = "\001" }
{ s = (NR > 1 ? s RS : "") $0 }
END {
  n = length(s); i = 1; depth = 0
  ws()
  if (i > n) die("empty input")
  val(""); ws()
  if (i <= n) die("trailing data at offset " i)
}
