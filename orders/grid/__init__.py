"""The transactions grid (seed 000): one row for every item purchased, filtered, sorted and
paged by keyset, with row actions that apps above orders register (see `registry`)."""
