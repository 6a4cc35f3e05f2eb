"""From raw bioactivity records to a curated dataset: labels, replicates, exclusions; users' measurement files; B3DB."""
