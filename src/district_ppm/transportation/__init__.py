"""Transportation: bus routes and runs in, instructional time lost out (computed by workers)."""
