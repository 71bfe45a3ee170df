package dev.herald.server;

import java.nio.file.Path;

/** Runs a server in its own process so a test can kill -9 it. Prints "PORT n" when ready. */
public final class CrashServerMain {
  public static void main(String[] args) throws Exception {
    HeraldServer s = HeraldServer.start(TestServer.config(Path.of(args[0]), b -> b));
    System.out.println("PORT " + s.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
