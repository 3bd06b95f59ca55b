// The digests of podnet's files, remembered on the node so that a converged gather need not hash
// them again: `sha256sum` is a process, and on a busy node a process costs 7–11 ms (measured in a
// lab node: a plain `/bin/true` 6.8 ms, `sha256sum` of the plugin 11 ms), a fifth of the gather.
//
// The record is git's index applied to our two files: after an apply, the node writes each file's
// `stat` line (mode, inode, size, ctime to the nanosecond, path) and its sha256 as sha256sum read it.
// A gather trusts a recorded digest only when the file's stat line is the recorded one, byte for
// byte, and its ctime is strictly before the moment the record was begun (the ctime of the record's
// own new file, taken before the files were stat'ed and hashed; git's "racily clean" rule). Every
// write, rename or chmod sets the ctime to the kernel's present time, which nobody can set back: a
// file changed after the record was begun no longer matches, and one changed in the same clock tick
// fails the strict "before". A ctime without nanoseconds (a file system with whole-second times, where
// a later write can keep the same ctime) is never trusted. Anything unusual: sha256sum, as before.
import { ABSOLUTE_PATH_PATTERN } from '../model/names.js';
import { shellQuote } from './shell-quote.js';
import { FILES_RECORD_PATH } from '../state/state-file.js';

export { FILES_RECORD_PATH };

/** The first line of the record: its format and version. */
const RECORD_HEADER = 'podnet-files 1';

/** The stat format of both the gather and the record: `MODE INODE SIZE CTIME PATH`. */
export const FILES_STAT_FORMAT = '%a %i %s %.9Z %n';

function checkedPath(path: string): string {
  if (!ABSOLUTE_PATH_PATTERN.test(path)) throw new Error(`refusing unsafe path: ${JSON.stringify(path)}`);
  return shellQuote(path);
}

/**
 * Shell that tests whether ctime `$1` is strictly before ctime `$2` (both `SECONDS.NANOSECONDS`, 9
 * digits after the point, nanoseconds not all zero); false for anything else.
 */
const CTIME_BEFORE = [
  'podnet_ctime_before() {',
  '  case $1 in *.000000000 | *[!0-9.]* | .* | *. ) return 1 ;; [0-9]*.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;; *) return 1 ;; esac',
  '  case $2 in *.000000000 | *[!0-9.]* | .* | *. ) return 1 ;; [0-9]*.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;; *) return 1 ;; esac',
  // "1" before the nanoseconds keeps test from reading a leading zero as anything but decimal.
  '  [ "${1%.*}" -lt "${2%.*}" ] || { [ "${1%.*}" -eq "${2%.*}" ] && [ "1${1#*.}" -lt "1${2#*.}" ]; }',
  '}',
].join('\n');

/** A shell variable holding a newline, for patterns (set before use). */
const NL_SET = "podnet_nl='\n'";

/**
 * The gather's two file sections, after `files` has set the positional parameters to the files that
 * exist: `files_stat` (one `stat` for all of them) and `files_sha256` (sha256sum's lines: from the
 * record where it can be trusted, from sha256sum for the others — not started when none is left).
 */
export function filesDigestGatherSections(recordPath: string = FILES_RECORD_PATH): Array<readonly [string, string]> {
  const record = checkedPath(recordPath);
  return [
    ['files_stat', `podnet_st=; [ $# -eq 0 ] || podnet_st=$(stat -c '${FILES_STAT_FORMAT}' -- "$@" 2>/dev/null); [ -z "$podnet_st" ] || printf '%s\\n' "$podnet_st"`],
    [
      'files_sha256',
      [
        CTIME_BEFORE,
        NL_SET,
        // The record: its header, the moment it began, then `STAT-LINE SHA256` lines (a newline before each).
        `podnet_t=; podnet_k=; if [ $# -gt 0 ] && [ -f ${record} ]; then { IFS= read -r podnet_l && [ "$podnet_l" = '${RECORD_HEADER}' ] && IFS= read -r podnet_t && while IFS= read -r podnet_l; do podnet_k="$podnet_k$podnet_nl$podnet_l"; done; } < ${record}; fi 2>/dev/null`,
        'podnet_h=',
        'while IFS= read -r podnet_l; do',
        '  [ -n "$podnet_l" ] || continue',
        '  podnet_c=${podnet_l#* * * }; podnet_c=${podnet_c%% *}; podnet_r=',
        '  case $podnet_k in *"$podnet_nl$podnet_l "*) podnet_r=${podnet_k#*"$podnet_nl$podnet_l "}; podnet_r=${podnet_r%%"$podnet_nl"*} ;; esac',
        '  case $podnet_r in *[!0-9a-f]*) podnet_r= ;; esac',
        `  if [ \${#podnet_r} -eq 64 ] && podnet_ctime_before "$podnet_c" "$podnet_t"; then printf '%s  %s\\n' "$podnet_r" "\${podnet_l##* }"; else podnet_h="$podnet_h \${podnet_l##* }"; fi`,
        'done <<PODNET_STAT_END',
        '$podnet_st',
        'PODNET_STAT_END',
        // The paths are validated (no blank, no glob character): word splitting is safe here.
        '# shellcheck disable=SC2086',
        '[ -z "$podnet_h" ] || sha256sum -- $podnet_h 2>/dev/null; true',
      ].join('\n'),
    ],
  ];
}

/**
 * Shell for the end of an apply's steps (after every step succeeded): writes the record of `paths`
 * (those that exist) atomically. `settle`: a file was installed by these steps, so wait 20 ms first,
 * that its ctime falls in an earlier clock tick than the record's beginning (else it is never trusted,
 * only hashed, until the next apply). Never fails the apply: a record not written costs a hash.
 */
export function renderFilesRecordWrite(paths: readonly string[], settle: boolean, tmpTag: string, recordPath: string = FILES_RECORD_PATH): string {
  if (paths.length === 0) return '';
  if (!/^[A-Za-z0-9]+$/.test(tmpTag)) throw new Error(`refusing temporary file tag ${JSON.stringify(tmpTag)}`);
  const record = checkedPath(recordPath);
  const dir = recordPath.slice(0, recordPath.lastIndexOf('/') + 1);
  const tmp = shellQuote(`${dir}.podnet.${tmpTag}r`);
  const quoted = paths.map(checkedPath).join(' ');
  const lines = [
    '{',
    ...(settle ? ['  sleep 0.02'] : []),
    `  set --; for f in ${quoted}; do [ -f "$f" ] && set -- "$@" "$f"; done`,
    NL_SET,
    // The record's new file first: its ctime is the moment the record begins.
    `  [ -d ${shellQuote(dir)} ] || mkdir -p ${shellQuote(dir)}`,
    `  [ $# -gt 0 ] && rm -f ${tmp} && (umask 077 && : > ${tmp}) && {`,
    `    podnet_st=$(stat -c '${FILES_STAT_FORMAT}' -- ${tmp} "$@") && podnet_sums=$(sha256sum -- "$@") && {`,
    `      printf '%s\\n' '${RECORD_HEADER}'`,
    '      podnet_t=${podnet_st%%"$podnet_nl"*}; podnet_t=${podnet_t#* * * }; printf \'%s\\n\' "${podnet_t%% *}"',
    '      podnet_st="$podnet_nl${podnet_st#*"$podnet_nl"}$podnet_nl"',
    // sha256sum prints `SHA  PATH`; the stat line of PATH is the one ending in ` PATH`.
    '      while IFS= read -r podnet_x; do',
    '        podnet_p=${podnet_x#*  }; podnet_l=${podnet_st%%" $podnet_p$podnet_nl"*}',
    '        if [ "$podnet_l" != "$podnet_st" ]; then printf \'%s %s %s\\n\' "${podnet_l##*"$podnet_nl"}" "$podnet_p" "${podnet_x%%  *}"; fi',
    '      done <<PODNET_SUMS_END',
    '$podnet_sums',
    'PODNET_SUMS_END',
    `    } > ${tmp} && mv -f ${tmp} ${record}`,
    `  } || rm -f ${tmp}`,
    '} 2>/dev/null || true',
  ];
  return `${lines.join('\n')}\n`;
}
