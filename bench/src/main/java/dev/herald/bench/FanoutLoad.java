package dev.herald.bench;

import picocli.CommandLine.Option;

/** The load of a fan-out measurement (the {@code fanout} and {@code nodes} scenarios share it). */
final class FanoutLoad {
  @Option(names = "--subscribers", defaultValue = "1000")
  int subscribers;
  @Option(names = "--burst", defaultValue = "1000", description = "writes in the burst phase")
  int burst;
  @Option(names = "--writers", defaultValue = "8", description = "writer threads in the burst phase")
  int writers;
  @Option(names = "--rate", defaultValue = "50", description = "paced phase: writes per second")
  double rate;
  @Option(names = "--paced-seconds", defaultValue = "20")
  double pacedSeconds;
}
