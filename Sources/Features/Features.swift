// Features: STFT feature pipelines, Task 2 label matrices and segmenting.
