package io.github.cfallowlist.cli;

/** Output formats of {@code fetch} and {@code plan}. */
enum OutputFormat {
  text,
  json
}
