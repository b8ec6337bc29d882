package io.github.cfallowlist;

import java.io.IOException;

/** A program a target runs is not installed in any directory of the fixed search path. */
public final class ToolNotFoundException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The program that was not found. */
  private final String program;

  /** Where it was looked for. */
  private final String searchPath;

  /** {@code program} was not found in {@code searchPath}. */
  public ToolNotFoundException(String program, String searchPath) {
    super("'" + Printable.of(program) + "' is not installed (looked in " + searchPath + ")");
    this.program = program;
    this.searchPath = searchPath;
  }

  /** Where the program was looked for: the directories of the search path, or one directory. */
  public String searchPath() {
    return searchPath;
  }

  /** The program's name. */
  public String program() {
    return program;
  }
}
