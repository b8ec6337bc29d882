package io.github.cfallowlist.cli;

import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.lang.System.Logger.Level;

/**
 * A target that logs while rendering, as the library does, and makes the JDK's and OkHttp's loggers
 * speak at the same time: what a command prints of each shows which loggers its flags reach.
 */
public final class NoisyTarget implements Target {
  @Override
  public String name() {
    return "noisy";
  }

  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    System.getLogger(NoisyTarget.class.getName()).log(Level.DEBUG, "noisy: rendering");
    System.getLogger(NoisyTarget.class.getName()).log(Level.INFO, "noisy: rendered");
    System.getLogger("jdk.event.security").log(Level.DEBUG, "X509Certificate: Alg:SHA256withRSA");
    System.getLogger("sun.net.www.protocol.http.HttpURLConnection").log(Level.DEBUG, "sun fine");
    System.getLogger("okhttp3.OkHttpClient").log(Level.DEBUG, "okhttp fine");
    System.getLogger("okhttp3.OkHttpClient").log(Level.WARNING, "okhttp warning\nsecond line");
    // OkHttp itself logs through java.util.logging.
    java.util.logging.Logger.getLogger("okhttp3.internal.platform").fine("okhttp jul fine");
    java.util.logging.Logger.getLogger("okhttp3.internal.platform").warning("okhttp jul warning");
    return Rendered.single("noisy.txt", "noisy\n");
  }

  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return RangeSet.of(java.util.List.of());
  }
}
