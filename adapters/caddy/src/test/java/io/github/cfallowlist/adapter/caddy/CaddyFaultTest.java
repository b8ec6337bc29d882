package io.github.cfallowlist.adapter.caddy;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.SnippetFaultContract;
import java.nio.file.Path;
import java.util.List;

/**
 * The fault suite for Caddy: a real caddy with its own Caddyfile in a network namespace, its test
 * command ({@code caddy validate}) failing, hanging or missing and its {@code caddy reload} failing
 * or hanging after reloading, and a child JVM doing the change killed at random moments. What Caddy
 * does is what the site answers for a request from an address only the new list trusts.
 */
class CaddyFaultTest extends SnippetFaultContract {
  @Override
  protected Target target() {
    return new CaddyTarget();
  }

  @Override
  protected String testLabel() {
    return "caddy validate";
  }

  @Override
  protected String reloadLabel() {
    return "caddy reload";
  }

  @Override
  protected List<String> tools() {
    return List.of("caddy", "env");
  }

  @Override
  protected Daemon start() {
    CaddyInOrigin caddy = CaddyInOrigin.start();
    caddy.origin().execChecked("ip", "-4", "addr", "add", NEW_ONLY + "/32", "dev", "lo");
    return new Daemon() {
      @Override
      public String namespace() {
        return caddy.origin().name();
      }

      @Override
      public TargetOptions options() {
        return caddy.options();
      }

      @Override
      public Path snippet() {
        return caddy.snippet();
      }

      @Override
      public List<String> testCommand() {
        return caddy.testCommand();
      }

      @Override
      public List<String> reloadCommand() {
        return caddy.reloadCommand();
      }

      @Override
      public boolean trustsNewOnly() {
        return caddy.visitorSeen(caddy.origin(), NEW_ONLY).equals(CaddyInOrigin.VISITOR);
      }

      @Override
      public long loads() {
        return caddy.reloads();
      }

      @Override
      public void settle() {
        caddy.settle();
      }

      @Override
      public void close() {
        caddy.close();
      }
    };
  }
}
