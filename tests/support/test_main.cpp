// The one Boost.Test entry point, linked into every test executable.
#define BOOST_TEST_MODULE connector tests
#include <boost/test/unit_test.hpp>
