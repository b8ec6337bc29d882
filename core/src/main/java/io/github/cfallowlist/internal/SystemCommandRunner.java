package io.github.cfallowlist.internal;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs commands with {@link ProcessBuilder}: argument lists, fixed PATH, LC_ALL=C, timeouts. */
public enum SystemCommandRunner implements CommandRunner {
  INSTANCE;

  static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  @Override
  public CommandResult run(Command command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command.argv());
    Map<String, String> env = pb.environment();
    env.put("PATH", PATH);
    env.put("LC_ALL", "C");
    env.remove("LANG");
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException("cannot run '" + command.argv().get(0) + "': " + e.getMessage(), e);
    }
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    try (OutputStream stdin = process.getOutputStream()) {
      if (command.stdin().isPresent()) {
        stdin.write(command.stdin().get().getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // The command may exit before reading all its input; its status tells what happened.
    }
    try {
      if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(
            "'"
                + command.display()
                + "' did not finish within "
                + command.timeout().toSeconds()
                + " s and was stopped");
      }
      return new CommandResult(
          process.exitValue(),
          new String(out.get(), StandardCharsets.UTF_8),
          new String(err.get(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running '" + command.display() + "'", e);
    } catch (ExecutionException e) {
      throw new IOException("cannot read the output of '" + command.display() + "'", e);
    }
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            return buf.toByteArray();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        task -> {
          Thread t = new Thread(task, "cf-allowlist-output");
          t.setDaemon(true);
          t.start();
        });
  }
}
