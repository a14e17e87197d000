# The overflow drill's report (POSIX sh: it runs under busybox in the reporter image).
#
# While the load generator (fortio) runs, request the service in a loop and tally who answered
# (podinfo's `message` is the name of the cluster whose pod answered). When fortio's JSON result
# appears, or the sampling time is over, print three shares of the offered requests, the same three
# that `npm run overflow -- sweep` predicts: served home, served by another cluster, failed.
#
# Environment (set by the drill Job):
#   TARGET            URL of the service, through the mesh
#   HOME_CLUSTER      the service's home cluster
#   RESULT            fortio's JSON result file (appears when the load ends)
#   ANSWERS           where the tally is kept
#   SAMPLE_SECONDS    how long to sample at most
#   LOAD_LOGS         the command that shows fortio's own log
#   NO_OVERFLOW_HINT  what to change when nothing spilled
#   LIVE_PANEL        where the same split shows live (the observer's Grafana)
#   QUIT_URL          the sidecar's quit endpoint, asked at the end (empty: not asked)
set -u

: > "$ANSWERS"
echo "overflow drill: loading $TARGET from $HOME_CLUSTER; sampling who answers until the load ends"
deadline=$(($(date +%s) + SAMPLE_SECONDS))
while [ ! -s "$RESULT" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  reply=$(curl -s -m 5 -w '\n%{http_code}' "$TARGET" 2>/dev/null)
  code=$(printf '%s\n' "$reply" | tail -n 1)
  if [ "$code" = "200" ]; then
    who=$(printf '%s\n' "$reply" | sed -n 's/.*"message": *"\([^"]*\)".*/\1/p' | head -n 1)
    echo "${who:-unlabelled}" >> "$ANSWERS"
  else
    echo "failed-${code:-000}" >> "$ANSWERS"
  fi
done

sampled=$(wc -l < "$ANSWERS" | tr -d ' ')
home=$(grep -c -x -e "$HOME_CLUSTER" "$ANSWERS")
failed_sampled=$(grep -c -e '^failed-' "$ANSWERS")
unlabelled=$(grep -c -x -e unlabelled "$ANSWERS")
remote=$((sampled - home - failed_sampled - unlabelled))

echo
echo "== who answered: $sampled requests sampled during the load =="
if [ "$sampled" -gt 0 ]; then
  sort "$ANSWERS" | uniq -c | sort -rn | awk -v total="$sampled" -v home="$HOME_CLUSTER" '{
    where = ($2 == home) ? "home" : ($2 ~ /^failed-/ ? "failed" : ($2 == "unlabelled" ? "?" : "other cloud"))
    printf "  %-24s %-12s %8d  %5.1f%%\n", $2, where, $1, 100 * $1 / total
  }'
fi

# fortio's status codes of every request it sent (after the mesh's retries): "200", "503", "-1"
# (a socket error) and so on, one per line in its indented JSON.
ok=0
all=0
echo
echo "== load generator (fortio: every request, after the mesh's retries) =="
if [ -s "$RESULT" ]; then
  grep -E '"(RequestedQPS|ActualQPS|NumThreads|RequestedDuration)"' "$RESULT" | sed -e 's/^ *//' -e 's/,$//' -e 's/^/  /'
  codes=$(sed -n '/"RetCodes"/,/}/p' "$RESULT" | sed -n 's/^ *"\(-\{0,1\}[0-9][0-9]*\)": *\([0-9][0-9]*\).*/\1 \2/p')
  echo "  response codes:"
  printf '%s\n' "$codes" | awk 'NF == 2 { printf "    %-6s %d\n", $1, $2 }'
  ok=$(printf '%s\n' "$codes" | awk '$1 ~ /^2/ { sum += $2 } END { print sum + 0 }')
  all=$(printf '%s\n' "$codes" | awk '{ sum += $2 } END { print sum + 0 }')
else
  echo "  no result from the load container; see: $LOAD_LOGS"
fi

# The shares: the failed share from fortio (every request) when it reported, else from the sample;
# the served requests split between home and elsewhere as the sample saw them.
echo
awk -v ok="$ok" -v all="$all" -v home="$home" -v remote="$remote" -v failed="$failed_sampled" -v sampled="$sampled" 'BEGIN {
  if (all > 0) failedShare = (all - ok) / all
  else if (sampled > 0) failedShare = failed / sampled
  else { print "SHARES unknown: no request was sampled and fortio reported nothing"; exit }
  served = home + remote
  homeShare = served > 0 ? (1 - failedShare) * home / served : 0
  remoteShare = served > 0 ? (1 - failedShare) * remote / served : 0
  printf "SHARES home=%.3f other=%.3f failed=%.3f\n", homeShare, remoteShare, failedShare
}'

if [ "$remote" -gt 0 ]; then
  echo "RESULT: overflow observed: $remote of $sampled sampled answers came from outside $HOME_CLUSTER"
elif [ "$sampled" -gt 0 ] && [ "$failed_sampled" -eq "$sampled" ]; then
  echo "RESULT: every sampled request failed: is the service up and reachable through the mesh?"
else
  echo "RESULT: no overflow observed: no sampled answer came from outside $HOME_CLUSTER"
  echo "  $NO_OVERFLOW_HINT"
fi
echo "LIVE: the same split over time: $LIVE_PANEL (README, \"Observability\")"
if [ -n "$QUIT_URL" ]; then curl -s -m 5 -o /dev/null -X POST "$QUIT_URL" || true; fi
exit 0
