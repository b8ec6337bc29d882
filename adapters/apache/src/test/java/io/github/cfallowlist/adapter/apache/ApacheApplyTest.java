package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.testing.SnippetApplyContract;

/** Apply and uninstall on files in a temporary directory, with {@code true} as both commands. */
class ApacheApplyTest extends SnippetApplyContract {
  @Override
  protected Target target() {
    return new ApacheTarget();
  }

  @Override
  protected String fileName() {
    return "cloudflare-remoteip.conf";
  }

  @Override
  protected String foreignContent() {
    return "RemoteIPHeader X-Forwarded-For";
  }
}
