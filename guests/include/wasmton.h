/*
 * wasmton.h: helpers for writing Wasmton guests in C.
 *
 * Build with clang --target=wasm32-wasi (see guests/Makefile).
 *
 *   WASMTON_EXPORT("add")
 *   int add(int a, int b) { return a + b; }
 *
 *   WASMTON_IMPORT("env", "log")
 *   void host_log(const char *ptr, int len);
 */
#ifndef WASMTON_H
#define WASMTON_H

/* Export the following function from the module under `name`. */
#define WASMTON_EXPORT(name) __attribute__((export_name(name)))

/* Declare the following function as the import `module`.`name`. */
#define WASMTON_IMPORT(module, name) \
    __attribute__((import_module(module), import_name(name)))

#endif /* WASMTON_H */
