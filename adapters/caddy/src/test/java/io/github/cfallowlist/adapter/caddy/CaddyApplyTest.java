package io.github.cfallowlist.adapter.caddy;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.testing.SnippetApplyContract;

/** Apply and uninstall on files in a temporary directory, with {@code true} as both commands. */
class CaddyApplyTest extends SnippetApplyContract {
  @Override
  protected Target target() {
    return new CaddyTarget();
  }

  @Override
  protected String fileName() {
    return "cloudflare-trusted-proxies.caddy";
  }

  @Override
  protected String foreignContent() {
    return "request_header CF-Connecting-IP 1.2.3.4";
  }
}
