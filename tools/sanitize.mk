# Makevars for `make sanitize` (passed as R_MAKEVARS_USER): builds softmix
# with AddressSanitizer and UndefinedBehaviorSanitizer. -O1 keeps stack traces
# readable; -fno-omit-frame-pointer gives ASan full backtraces. The same flags
# go to every C++ standard R may pick, and to the link of the shared library,
# which then needs the ASan runtime preloaded (see tools/sanitize.sh).
SAN_FLAGS = -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
CFLAGS = $(SAN_FLAGS)
CXXFLAGS = $(SAN_FLAGS)
CXX11FLAGS = $(SAN_FLAGS)
CXX14FLAGS = $(SAN_FLAGS)
CXX17FLAGS = $(SAN_FLAGS)
LDFLAGS = -fsanitize=address,undefined
