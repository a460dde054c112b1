// The axis simulator executable (the connector itself links none of it).
#include <iostream>
#include <string>
#include <vector>

#include "axis_sim/simulator.hpp"

int main(int argc, char** argv) {
    return axis_sim::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
