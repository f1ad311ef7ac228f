"""The plumbing every level stands on: the array seam, argument checks, the thread bound, rows read lazily."""
