// Submission: the Task 1 / Task 2 submission formats, their validator and writers.
