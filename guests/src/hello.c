/*
 * hello.c: a small WASI command for testing the host's WASI support.
 *
 *   hello.wasm [ARG...] [--cat PATH] [--upper] [--exit N]
 *
 * Prints "Hello, World!", then each ARG on its own line, then the value of
 * $GREETING if set, then the contents of PATH (needs a preopened directory),
 * then, with --upper, stdin copied to stdout in upper case. Exits with N
 * (default 0); exits with 1 if PATH cannot be read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy(FILE *in, int upper) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (upper)
            for (size_t i = 0; i < n; i++)
                buf[i] = (char)toupper((unsigned char)buf[i]);
        fwrite(buf, 1, n, stdout);
    }
    return ferror(in) ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *cat = NULL;
    int upper = 0, code = 0;

    puts("Hello, World!");

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cat") == 0 && i + 1 < argc)
            cat = argv[++i];
        else if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc)
            code = atoi(argv[++i]);
        else if (strcmp(argv[i], "--upper") == 0)
            upper = 1;
        else
            puts(argv[i]);
    }

    const char *greeting = getenv("GREETING");
    if (greeting)
        puts(greeting);

    if (cat) {
        FILE *f = fopen(cat, "r");
        if (!f || copy(f, 0) != 0) {
            perror(cat);
            return 1;
        }
        fclose(f);
    }

    if (upper && copy(stdin, 1) != 0) {
        perror("stdin");
        return 1;
    }

    fflush(stdout);
    return code;
}
