#!/usr/bin/env bash
# usage: scripts/metadata_counts.sh BIN OUTDIR -> per corpus language: docs and pages with a dateline, published date, publisher, agency credit (docs/dates.md)
BIN=$1; OUT=$2; W=../shared/corpus/web; mkdir -p $OUT
printf "%-5s %5s %9s %10s %10s %7s\n" lang docs dateline published publisher credit
for l in ar de en es fa fr it kk pl ru tr uk zh; do
  nice $BIN process -j1 $W/$l > $OUT/$l.jsonl 2>/dev/null
  jq -r '[(if .located then 1 else 0 end), (if .firstCreated then 1 else 0 end), (if ([.infoSources[]? | select(.role=="publisher")]|length)>0 then 1 else 0 end), (if ([.infoSources[]? | select(.role=="agency")]|length)>0 then 1 else 0 end)] | @tsv' $OUT/$l.jsonl |
  awk -F'\t' -v l=$l '{n++; d+=$1; p+=$2; pub+=$3; a+=$4} END {printf "%-5s %5d %9d %10d %10d %7d\n", l, n, d, p, pub, a}'
done | tee $OUT/table.txt
awk '{n+=$2; d+=$3; p+=$4; pub+=$5; a+=$6} END {printf "%-5s %5d %9d %10d %10d %7d\n", "all", n, d, p, pub, a}' $OUT/table.txt
