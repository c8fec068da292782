/* main.c: the `hrsync` program's entry point; the commands live in cli.c. */
#include "hrsync/cli.h"

int main(int argc, char **argv)
{
    return hrs_cli_main(argc, argv);
}
