# revmap's plots: gnuplot plots.gp in this directory
set terminal svg size 1000,560 dynamic font 'sans,11'
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set xtics rotate by -35 nomirror
set grid ytics
set linetype cycle 12

set output 'metadata-bytes.svg'
set title 'reverse-map metadata at its peak'
set ylabel 'bytes'
set logscale y
plot for [i=2:12] 'metadata-bytes.dat' using i:xtic(1) title columnheader(i) lt i

set output 'ns-per-walk.svg'
set title 'time per rmap walk (every mapped frame once)'
set ylabel 'ns'
set logscale y
plot for [i=2:12] 'ns-per-walk.dat' using i:xtic(1) title columnheader(i) lt i

set output 'precision.svg'
set title 'walk precision: PTEs found / PTEs probed'
set ylabel 'found / probed'
unset logscale y
plot for [i=2:12] 'precision.dat' using i:xtic(1) title columnheader(i) lt i

set output 'total-time.svg'
set title 'time of the whole run'
set ylabel 'ms'
set logscale y
plot for [i=2:12] 'total-time.dat' using i:xtic(1) title columnheader(i) lt i
