# Makevars for `make valgrind` (passed as R_MAKEVARS_USER): debug symbols and
# light optimisation, so memcheck's stack traces name softmix's lines.
CXXFLAGS = -g -O1
CXX11FLAGS = -g -O1
CXX14FLAGS = -g -O1
CXX17FLAGS = -g -O1
