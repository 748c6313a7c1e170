#include <systemc>

#include "tools/hostwire/commands.h"

int sc_main(int argc, char** argv) { return hostwire::cli::main(argc, argv); }
