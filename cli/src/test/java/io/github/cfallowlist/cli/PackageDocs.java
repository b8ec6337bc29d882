package io.github.cfallowlist.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes what the Debian package ships beside the jar, from the command line model itself: one
 * AsciiDoc manual page per command (turned into troff by the build) and the bash completion script.
 * Run by the build in the prepare-package phase.
 */
public final class PackageDocs {
  private PackageDocs() {}

  /**
   * Writes the pages and the completion script.
   *
   * @param args the directory for the AsciiDoc pages, then the completion script's path
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: PackageDocs MAN_ADOC_DIR COMPLETION_FILE");
    }
    CommandLine cmd = model();
    Path manDir = Path.of(args[0]);
    Files.createDirectories(manDir);
    int status =
        ManPageGenerator.generateManPage(
            manDir.toFile(), null, new boolean[0], false, cmd.getCommandSpec());
    if (status != 0) {
      throw new IOException("the manual pages could not be written to " + manDir);
    }
    Path completion = Path.of(args[1]);
    Files.createDirectories(completion.toAbsolutePath().getParent());
    Files.writeString(completion, AutoComplete.bash("cf-allowlist", cmd), StandardCharsets.UTF_8);
  }

  /** Every user-facing command, without the hidden one that prints the completion script. */
  static CommandLine model() {
    CommandLine cmd = Cli.commandLine();
    cmd.getCommandSpec().removeSubcommand("generate-completion");
    return cmd;
  }
}
