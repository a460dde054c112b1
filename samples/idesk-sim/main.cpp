// The stand-alone iDesk simulator (samples/idesk-sim/README.md).
#include <iostream>
#include <string>
#include <vector>

#include "idesk_sim/simulator.hpp"

int main(int argc, char** argv) {
    return idesk_sim::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                              std::cerr);
}
