# ns per operation per workload and allocator, on a log scale. Called by report.sh with
# data (the matrix file), output, format (svg or png) and columns (fields in the matrix).
if (format eq 'svg') {
    set terminal svg size 1100,560 dynamic background rgb 'white' font 'sans,12'
} else {
    set terminal pngcairo size 1100,560 background rgb 'white' font 'sans,11'
}
set output output
set termoption noenhanced
set title 'ns per operation (median of repetitions; lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y '%.0s%c'
set ylabel 'ns per operation'
set grid ytics
set key outside right top
set xtics nomirror
plot for [column = 2:columns] data using column:xtic(1) title columnheader(column)
