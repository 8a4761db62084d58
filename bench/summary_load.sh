#!/usr/bin/env bash
# The summarizer beside live transcription: bench/transcriber.py with 4 real-time streams
# alone, then again while the summarizer's engine (bench.meetings, segments scored live,
# rolling windows of 150 words, nice 5 as the worker runs) summarises the first 20 and the
# first 50 minutes of an ICSI meeting side by side.
#   tail (default): each meeting's last TAIL seconds (90) arrive at the pace they were
#        spoken, the rest at once before the transcriber starts; the streams run through
#        both meetings' ends, so the final summaries are made while they are transcribed.
#   loop: the old worst case, both meetings summarised again and again without pause.
# Prints both tables and the final-summary times; results in bench/results/summary-load-*.
#   bash bench/summary_load.sh [MEETING_ID] [SPLIT] [tail|loop] [TAIL]   # Bed004 tune tail 90
set -euo pipefail
cd "$(dirname "$0")/.."
meeting=${1:-Bed004}
split=${2:-tune}
mode=${3:-tail}
tail_s=${4:-90}
out=bench/results
mkdir -p "$out"
transcribe() {
  .venv/bin/python bench/transcriber.py --streams 4 --meetings --seconds 90 \
    --out "$out/summary-load-transcriber-$1.json" > "$out/summary-load-transcriber-$1.txt" 2>&1
}
summarise() {  # $1 minutes, then extra arguments
  local minutes=$1
  shift
  nice -n 5 .venv/bin/python -m bench.meetings --corpus icsi --split "$split" \
    --only "$meeting" --minutes "$minutes" --rolling-words 150 --live \
    --out "$out/meetings-load-$minutes.json" "$@" 2> "$out/summary-load-$minutes.err" \
    | grep -E "final_summary_s_median" | sed "s/^/$minutes min: /"
}
transcribe alone
if [ "$mode" = loop ]; then
  stop=$(mktemp -u)
  (while [ ! -e "$stop" ]; do summarise 20; summarise 50; done) \
    > "$out/summary-load-summaries.txt" 2>&1 &
  sleep 5
  transcribe with
  touch "$stop"
  wait
  rm -f "$stop"
else
  rm -f "$out"/summary-load-{20,50}.err
  (summarise 20 --real-time-tail "$tail_s" & summarise 50 --real-time-tail "$tail_s" & wait) \
    > "$out/summary-load-summaries.txt" 2>&1 &
  summaries=$!
  # The streams start once both meetings are in their real-time tails.
  until [ "$(cat "$out"/summary-load-{20,50}.err 2>/dev/null | grep -c 'tail begins')" -ge 2 ]; do
    sleep 0.5
  done
  transcribe with
  wait "$summaries"
fi
tail -n 5 "$out/summary-load-transcriber-alone.txt" "$out/summary-load-transcriber-with.txt"
cat "$out/summary-load-summaries.txt"
