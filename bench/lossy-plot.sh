#!/bin/bash
# bench/lossy-plot.sh — plots bench/lossy.tsv (bench/lossy.sh): bits per
# byte against chrF and against protected-span recall, one line per file,
# points = levels 0..5.
set -euo pipefail
cd "$(dirname "$0")"
files=$(awk -F'\t' 'NR>1{print $1}' lossy.tsv | sort -u)
for what in chrf recall; do
    col=9; label="chrF (kept text)"
    if [ $what = recall ]; then col=7; label="protected-span recall (kept text)"; fi
    plot=""
    for f in $files; do
        awk -F'\t' -v f="$f" -v c=$col 'NR>1 && $1==f {print $5, $c, $3}' lossy.tsv | sort -k3,3n > "lossy-$f.$what.dat"
        plot="$plot${plot:+, }'lossy-$f.$what.dat' using 1:2 with linespoints title '$f', '' using 1:2:3 with labels offset 1,0.6 notitle"
    done
    gnuplot <<GP
set terminal pngcairo size 800,520
set output 'lossy-$what.png'
set xlabel 'bits per byte (of the original)'
set ylabel '$label'
set title 'lmz --lossy=N (labels: N; 0 = lossless)'
set grid
set key bottom right
plot $plot
GP
    rm -f lossy-*.$what.dat
done
