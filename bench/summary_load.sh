#!/usr/bin/env bash
# The summarizer beside live transcription: bench/transcriber.py with 4 real-time streams
# alone, then again while bench.meetings replays the first 20 and 50 minutes of an ICSI
# meeting in a loop (rolling windows of 150 words, segments scored live, nice 5 as the
# worker runs). A worst case: the loop summarises without pause. Prints both tables and
# the final-summary times; results in bench/results/summary-load-*.txt.
#   bash bench/summary_load.sh [MEETING_ID] [SPLIT]      # default Bed004 tune
set -euo pipefail
cd "$(dirname "$0")/.."
meeting=${1:-Bed004}
split=${2:-tune}
out=bench/results
mkdir -p "$out"
stop=$(mktemp -u)
.venv/bin/python bench/transcriber.py --streams 4 --meetings --seconds 60 \
  > "$out/summary-load-transcriber-alone.txt" 2>&1
(
  while [ ! -e "$stop" ]; do
    for minutes in 20 50; do
      nice -n 5 .venv/bin/python -m bench.meetings --corpus icsi --split "$split" \
        --only "$meeting" --minutes "$minutes" --rolling-words 150 --live \
        --out "$out/meetings-load-$minutes.json" | grep -E "final_summary_s_median" \
        | sed "s/^/$minutes min: /"
    done
  done
) > "$out/summary-load-summaries.txt" 2>&1 &
sleep 5
.venv/bin/python bench/transcriber.py --streams 4 --meetings --seconds 60 \
  > "$out/summary-load-transcriber-with.txt" 2>&1
touch "$stop"
wait
rm -f "$stop"
tail -6 "$out/summary-load-transcriber-alone.txt" "$out/summary-load-transcriber-with.txt"
cat "$out/summary-load-summaries.txt"
