"""The trusted grader of the chapter 28 exercises.

Student code runs in a sandboxed child process (`sandbox`); the hidden
pytest suites (`suites`) run here and reach it only through a proxy that carries
plain data (`student`); `grade` ties it together, `cli` is the command line.
"""
