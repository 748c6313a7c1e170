// Test entry for every binary that links SystemC: libsystemc owns main() and calls sc_main,
// so GoogleTest starts here. SystemC errors and fatals throw, so a model error fails the test
// that caused it instead of aborting the binary.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  sc_core::sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
