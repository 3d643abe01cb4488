/*
 * Tollgate's local Kafka-protocol broker: librdkafka's mock cluster (the
 * version bundled with node-rdkafka), with topics created up front at explicit
 * partition counts, because kafkajs cannot create topics against the mock.
 *
 *   kafka-mock <bootstrap-file> <brokers> <topic:partitions>...
 *
 * Writes "host:port,..." to <bootstrap-file> once listening.
 * SIGUSR1 takes every broker down, SIGUSR2 brings them back (fault injection).
 * SIGTERM / SIGINT shut down cleanly. Data lives in memory only.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rdkafka.h"
#include "rdkafka_mock.h"

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t down_requested = 0;
static volatile sig_atomic_t up_requested = 0;

static void on_signal(int sig) {
  if (sig == SIGUSR1) down_requested = 1;
  else if (sig == SIGUSR2) up_requested = 1;
  else stop_requested = 1;
}

static void set_all_brokers(rd_kafka_mock_cluster_t *mc, int brokers, int up) {
  for (int id = 1; id <= brokers; id++) {
    rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(mc, id)
                                 : rd_kafka_mock_broker_set_down(mc, id);
    if (err) fprintf(stderr, "kafka-mock: broker %d %s: %s\n", id, up ? "up" : "down", rd_kafka_err2str(err));
  }
  fprintf(stderr, "kafka-mock: brokers %s\n", up ? "up" : "down");
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <bootstrap-file> <brokers> [topic:partitions ...]\n", argv[0]);
    return 2;
  }
  const char *bootstrap_path = argv[1];
  int brokers = atoi(argv[2]);
  if (brokers < 1 || brokers > 9) {
    fprintf(stderr, "kafka-mock: brokers must be 1..9, got %s\n", argv[2]);
    return 2;
  }

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "kafka-mock: could not create the mock cluster\n");
    return 1;
  }

  for (int i = 3; i < argc; i++) {
    char topic[256];
    int partitions = 0;
    const char *colon = strrchr(argv[i], ':');
    if (!colon || colon == argv[i] || (size_t)(colon - argv[i]) >= sizeof topic) {
      fprintf(stderr, "kafka-mock: topic spec must be name:partitions, got %s\n", argv[i]);
      return 2;
    }
    memcpy(topic, argv[i], colon - argv[i]);
    topic[colon - argv[i]] = '\0';
    partitions = atoi(colon + 1);
    if (partitions < 1 || partitions > 1024) {
      fprintf(stderr, "kafka-mock: partitions must be 1..1024 in %s\n", argv[i]);
      return 2;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, topic, partitions, brokers < 3 ? brokers : 3);
    if (err) {
      fprintf(stderr, "kafka-mock: create topic %s: %s\n", topic, rd_kafka_err2str(err));
      return 1;
    }
  }

  const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
  char tmp_path[4096];
  snprintf(tmp_path, sizeof tmp_path, "%s.tmp", bootstrap_path);
  FILE *f = fopen(tmp_path, "w");
  if (!f || fprintf(f, "%s\n", bootstraps) < 0 || fclose(f) != 0 || rename(tmp_path, bootstrap_path) != 0) {
    fprintf(stderr, "kafka-mock: cannot write %s: %s\n", bootstrap_path, strerror(errno));
    return 1;
  }
  fprintf(stderr, "kafka-mock: listening on %s\n", bootstraps);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);

  struct timespec tick = {0, 50 * 1000 * 1000};
  while (!stop_requested) {
    if (down_requested) { down_requested = 0; set_all_brokers(mc, brokers, 0); }
    if (up_requested) { up_requested = 0; set_all_brokers(mc, brokers, 1); }
    nanosleep(&tick, NULL);
  }
  unlink(bootstrap_path);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  fprintf(stderr, "kafka-mock: stopped\n");
  return 0;
}
