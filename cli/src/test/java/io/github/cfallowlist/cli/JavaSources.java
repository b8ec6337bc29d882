package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles documentation examples against the test class path, as a reader's build would. */
final class JavaSources {
  private JavaSources() {}

  /**
   * Compiles {@code files} into {@code out} with {@code -Xlint:all} and {@code options}; fails the
   * test with the compiler's messages when they do not compile.
   */
  static void compile(List<File> files, Path out, String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-d", out.toString(), "-cp", System.getProperty("java.class.path"), "-Xlint:all"));
    args.addAll(List.of(options));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter errors = new StringWriter();
    boolean ok =
        javac
            .getTask(
                errors,
                null,
                null,
                args,
                null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjectsFromFiles(files))
            .call();
    assertThat(ok).as(errors.toString()).isTrue();
  }
}
