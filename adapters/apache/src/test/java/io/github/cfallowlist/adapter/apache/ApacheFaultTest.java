package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.SnippetFaultContract;
import java.nio.file.Path;
import java.util.List;

/**
 * The fault suite for Apache: a real apache2 with its own ServerRoot in a network namespace, its
 * test command ({@code apache2 -t}) failing, hanging or missing and its graceful restart failing or
 * hanging after restarting, and a child JVM doing the change killed at random moments. What Apache
 * serves is what it logs ({@code %a}) for a request from an address only the new list trusts.
 */
class ApacheFaultTest extends SnippetFaultContract {
  @Override
  protected Target target() {
    return new ApacheTarget();
  }

  @Override
  protected String testLabel() {
    return "apache2 -t";
  }

  @Override
  protected String reloadLabel() {
    return "apache2 -k graceful";
  }

  @Override
  protected List<String> tools() {
    return List.of("apache2");
  }

  @Override
  protected Daemon start() {
    ApacheInOrigin apache = ApacheInOrigin.start();
    apache.origin().execChecked("ip", "-4", "addr", "add", NEW_ONLY + "/32", "dev", "lo");
    return new Daemon() {
      @Override
      public String namespace() {
        return apache.origin().name();
      }

      @Override
      public TargetOptions options() {
        return apache.options();
      }

      @Override
      public Path snippet() {
        return apache.snippet();
      }

      @Override
      public List<String> testCommand() {
        return apache.testCommand();
      }

      @Override
      public List<String> reloadCommand() {
        return apache.reloadCommand();
      }

      @Override
      public boolean trustsNewOnly() {
        return apache.clientAddressLogged(apache.origin(), NEW_ONLY).equals(ApacheInOrigin.VISITOR);
      }

      @Override
      public long loads() {
        return apache.generations();
      }

      @Override
      public void settle() {
        apache.settle();
      }

      @Override
      public void close() {
        apache.close();
      }
    };
  }
}
