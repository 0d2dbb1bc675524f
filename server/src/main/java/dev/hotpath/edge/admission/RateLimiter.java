package dev.hotpath.edge.admission;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.hotpath.config.AdmissionSettings;
import dev.hotpath.edge.auth.ClientIdentity;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Responses;
import dev.hotpath.observe.ClientAddress;
import dev.hotpath.observe.Tracing;
import dev.hotpath.store.Redis;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Token-bucket rate limits (Bucket4j, lock-free local buckets) per client, per client address and
 * for the whole process. A request costs its operation's {@code x-rate-cost} in quota units from
 * every bucket that applies; when one of them lacks the units, those already taken are put back and
 * the request is refused with 429 {@code rate-limited}, {@code Retry-After} and the {@code
 * RateLimit} of the policy that refused it. Every limited response carries {@code RateLimit-Policy}
 * (constant, encoded once) and {@code RateLimit} (draft-ietf-httpapi-ratelimit- headers,
 * structured-field syntax) for the policy that binds the client: its own when it has one, else its
 * address's.
 *
 * <p>The client is the verified token's subject; on public routes there is none, and when
 * authentication is off it is the {@code X-Client-Id} header when sent. The limiter runs after
 * authentication (a refused token costs no quota; failed authentications have their own limit) and
 * before any body is read.
 *
 * <p>A 304 costs nothing: the request is charged when it is admitted (the work to find out whether
 * the client's copy is current is what the limit protects), and {@link #notModified} gives the
 * units back once the answer is known to be 304. A client whose quota is spent therefore gets 429
 * for a revalidation too.
 *
 * <p>Memory is bounded: buckets live in Caffeine caches of at most {@code trackedKeys} entries
 * each, and a bucket unused for a whole window is dropped (by then it has refilled, so nothing is
 * lost). Thread-safe; one per process.
 */
public final class RateLimiter {
  static {
    // the toolkit calls back for every 304, so the refund needs no import of this class there
    Responses.onNotModified(RateLimiter::notModified);
  }

  public static final AsciiString RATE_LIMIT = AsciiString.cached("RateLimit");
  public static final AsciiString RATE_LIMIT_POLICY = AsciiString.cached("RateLimit-Policy");
  private static final AsciiString RETRY_AFTER = AsciiString.cached("Retry-After");
  // as HTTP/2 sends them (lowercase), so that Vert.x need not lowercase them per response
  private static final AsciiString RATE_LIMIT_H2 = AsciiString.cached("ratelimit");
  private static final AsciiString RATE_LIMIT_POLICY_H2 = AsciiString.cached("ratelimit-policy");

  /** Route metadata: the route's {@link Charge}, for refunds of 304s. */
  static final String CHARGE_KEY = "hotpath.rate-charge";

  /** A policy's name as the headers write it, quoted (a structured-field string). */
  enum Policy {
    CLIENT("\"client\""),
    IP("\"ip\""),
    GLOBAL("\"global\"");

    final String quoted;
    final AsciiString quotedAscii;

    Policy(String quoted) {
      this.quoted = quoted;
      this.quotedAscii = AsciiString.cached(quoted);
    }
  }

  private final long windowSeconds;
  private final long clientQuota;
  private final long addressQuota;
  private final long globalQuota;
  private final boolean clientHeaderTrusted;
  private final Cache<String, Bucket> clients;
  private final Cache<String, Bucket> addresses;
  private final Bucket global;
  private final Function<String, Bucket> newClientBucket;
  private final Function<String, Bucket> newAddressBucket;
  private final AsciiString policyWithClient;
  private final AsciiString policyWithoutClient;
  private final Counter[] refusals = new Counter[Policy.values().length];
  private final @Nullable SharedQuotas shared;

  /** Context key: the units left in the shared bucket reported, when Redis decided. */
  private static final String SHARED_REMAINING = "hotpath.rate-shared-remaining";

  /**
   * Limits whose per-client and per-address buckets are also kept in {@code redis}, when given: a
   * request passes when this process's own buckets and the shared ones all have the units. The
   * local buckets are the fast path: they refuse without asking Redis (they have seen only this
   * instance's share of the client's requests, so what they refuse the shared bucket would refuse
   * too), and they decide alone while Redis is down. When Redis refuses, the refusing policy's
   * local bucket is lowered to what Redis reported left, so a client's burst past its quota is
   * refused here, not by one Redis round trip per request (docs/redis.md, "A burst of one client").
   *
   * @param authenticated whether requests are authenticated; when not, the {@code X-Client-Id}
   *     header names the client
   */
  public RateLimiter(
      AdmissionSettings settings,
      boolean authenticated,
      MeterRegistry registry,
      Optional<Redis> redis) {
    this(
        settings,
        authenticated,
        registry,
        TimeMeter.SYSTEM_MILLISECONDS,
        Ticker.systemTicker(),
        redis
            .filter(r -> settings.perClient() > 0 || settings.perAddress() > 0)
            .map(
                r ->
                    new SharedQuotas(
                        r,
                        settings.perClient(),
                        settings.perAddress(),
                        settings.rateWindow(),
                        settings.trackedKeys()))
            .orElse(null));
  }

  /** With the clocks of the buckets' refills and of the caches' expiry given (tests). */
  RateLimiter(
      AdmissionSettings settings,
      boolean authenticated,
      MeterRegistry registry,
      TimeMeter clock,
      Ticker ticker) {
    this(settings, authenticated, registry, clock, ticker, null);
  }

  private RateLimiter(
      AdmissionSettings settings,
      boolean authenticated,
      MeterRegistry registry,
      TimeMeter clock,
      Ticker ticker,
      @Nullable SharedQuotas shared) {
    this.shared = shared;
    this.windowSeconds = settings.rateWindow().toSeconds();
    this.clientQuota = settings.perClient();
    this.addressQuota = settings.perAddress();
    this.globalQuota = settings.global();
    this.clientHeaderTrusted = !authenticated;
    this.clients = tracked(settings, ticker);
    this.addresses = tracked(settings, ticker);
    this.newClientBucket = key -> bucket(clientQuota, clock);
    this.newAddressBucket = key -> bucket(addressQuota, clock);
    this.global = globalQuota > 0 ? bucket(globalQuota, clock) : null;
    this.policyWithClient = new AsciiString(policies(true));
    this.policyWithoutClient = new AsciiString(policies(false));
    for (Policy p : Policy.values()) {
      refusals[p.ordinal()] =
          Counter.builder("hotpath_rate_limited")
              .description("Requests refused with 429 because a rate limit was spent")
              .tag("policy", p.name().toLowerCase(java.util.Locale.ROOT))
              .register(registry);
    }
    Gauge.builder("hotpath_rate_limit_tracked", clients, Cache::estimatedSize)
        .description("Buckets held in memory")
        .tag("policy", "client")
        .register(registry);
    Gauge.builder("hotpath_rate_limit_tracked", addresses, Cache::estimatedSize)
        .description("Buckets held in memory")
        .tag("policy", "ip")
        .register(registry);
  }

  /** Whether any limit is set, i.e. whether routes need the check at all. */
  public boolean active() {
    return clientQuota > 0 || addressQuota > 0 || globalQuota > 0;
  }

  private Bucket bucket(long quota, TimeMeter clock) {
    return Bucket.builder()
        .addLimit(
            limit ->
                limit
                    .capacity(quota)
                    .refillGreedy(quota, java.time.Duration.ofSeconds(windowSeconds)))
        .withCustomTimePrecision(clock)
        // a lock held for the few arithmetic steps of a charge: the lock-free default copies the
        // bucket's state on every charge (about 0.8 KiB per cached read across the three buckets,
        // measured with `jcmd PID Thread.print -e` around a wrk run), and the two event loops
        // rarely meet on one bucket
        .withSynchronizationStrategy(SynchronizationStrategy.SYNCHRONIZED)
        .build();
  }

  /** The buckets of one kind of key: the most recently used ones, each for a window after use. */
  private static Cache<String, Bucket> tracked(AdmissionSettings settings, Ticker ticker) {
    return Caffeine.newBuilder()
        .maximumSize(settings.trackedKeys())
        .expireAfterAccess(settings.rateWindow())
        .ticker(ticker)
        .executor(Runnable::run) // maintenance on the caller: see ResponseCache
        .build();
  }

  /** The RateLimit-Policy value: each policy that applies, with its quota and window. */
  private String policies(boolean withClient) {
    StringBuilder sb = new StringBuilder();
    if (withClient) {
      policy(sb, Policy.CLIENT, clientQuota);
    }
    policy(sb, Policy.IP, addressQuota);
    policy(sb, Policy.GLOBAL, globalQuota);
    return sb.toString();
  }

  /** Appends {@code policy} with its quota and window, when it applies (a quota above 0). */
  private void policy(StringBuilder sb, Policy policy, long quota) {
    if (quota > 0) {
      sb.append(sb.isEmpty() ? "" : ", ")
          .append(policy.quoted)
          .append(";q=")
          .append(quota)
          .append(";w=")
          .append(windowSeconds);
    }
  }

  /**
   * Installs the check on a route that costs {@code cost} units (a platform handler: it runs before
   * any body is read), and remembers the charge on the route for {@link #notModified}.
   */
  public PlatformHandler install(Route route, int cost) {
    Charge charge = new Charge(cost);
    route.putMetadata(CHARGE_KEY, charge);
    return charge;
  }

  /**
   * Gives back what a request that is being answered 304 was charged (called where the 304 is
   * decided, before it is sent), and corrects its {@code RateLimit} header. Does nothing for
   * requests that were not charged.
   */
  public static void notModified(RoutingContext ctx) {
    Route route = ctx.currentRoute();
    if (route != null
        && route.getMetadata(CHARGE_KEY) instanceof Charge charge
        && ctx.response().headers().contains(RATE_LIMIT)) {
      charge.refund(ctx);
    }
  }

  /** The check of one route, with its cost. */
  final class Charge implements PlatformHandler {
    private final int cost;

    Charge(int cost) {
      this.cost = cost;
    }

    @Override
    public void handle(RoutingContext ctx) {
      HttpServerResponse response = ctx.response();
      if (response.headers().contains(RATE_LIMIT)) {
        ctx.next(); // charged by an earlier route this request fell through
        return;
      }
      String client = client(ctx);
      String address = address(ctx.request());
      long outcome = charge(client, address, cost);
      if (outcome >= 0) {
        if (shared != null && shared.up() && (client != null || addressQuota > 0)) {
          chargeShared(ctx, client, address, outcome);
          return;
        }
        admit(ctx, client, outcome);
        return;
      }
      refuse(ctx, Policy.values()[(int) (-outcome - 1)], client, address);
    }

    private void admit(RoutingContext ctx, @Nullable String client, long remaining) {
      boolean h2 = ctx.request().version() == HttpVersion.HTTP_2;
      ctx.response()
          .putHeader(
              h2 ? RATE_LIMIT_POLICY_H2 : RATE_LIMIT_POLICY,
              client == null ? policyWithoutClient : policyWithClient)
          .putHeader(h2 ? RATE_LIMIT_H2 : RATE_LIMIT, serviceLimit(reported(client), remaining));
      ctx.next();
    }

    /**
     * Takes the units from the shared buckets too, once the local ones had them. Redis refusing
     * gives back what the local buckets took and refuses; Redis failing leaves the local decision.
     */
    private void chargeShared(
        RoutingContext ctx, @Nullable String client, String address, long localRemaining) {
      SharedQuotas quotas = java.util.Objects.requireNonNull(shared);
      AsyncBucketProxy c = client == null ? null : quotas.client(client);
      AsyncBucketProxy a = addressQuota > 0 ? quotas.address(address) : null;
      if (c == null && a == null) {
        admit(ctx, client, localRemaining);
        return;
      }
      Context context = SharedQuotas.context();
      HttpServerRequest request = ctx.request();
      // the body must wait for its handler while Redis answers, or its chunks are lost
      if (!request.isEnded()) {
        request.pause();
      }
      Future<@Nullable ConsumptionProbe> byClient = quotas.take(c, cost, context);
      Future<@Nullable ConsumptionProbe> byAddress = quotas.take(a, cost, context);
      Future.join(byClient, byAddress)
          .onComplete(
              joined -> {
                if (!request.isEnded()) {
                  request.resume();
                }
                ConsumptionProbe cp = byClient.succeeded() ? byClient.result() : null;
                ConsumptionProbe ap = byAddress.succeeded() ? byAddress.result() : null;
                boolean failed = byClient.failed() || byAddress.failed();
                Policy refusedBy =
                    failed
                        ? null
                        : cp != null && !cp.isConsumed()
                            ? Policy.CLIENT
                            : ap != null && !ap.isConsumed() ? Policy.IP : null;
                if (failed || refusedBy != null) {
                  if (cp != null && cp.isConsumed()) {
                    quotas.giveBack(c, cost);
                  }
                  if (ap != null && ap.isConsumed()) {
                    quotas.giveBack(a, cost);
                  }
                }
                if (failed) {
                  admit(ctx, client, localRemaining); // Redis failed: the local buckets decided
                  return;
                }
                if (refusedBy != null) {
                  giveBackLocally(client, address);
                  ConsumptionProbe refusal = refusedBy == Policy.CLIENT ? cp : ap;
                  holdAtMost(refusedBy, client, address, refusal.getRemainingTokens());
                  refuse(
                      ctx,
                      refusedBy,
                      client,
                      refusal.getRemainingTokens(),
                      refusal.getNanosToWaitForRefill());
                  return;
                }
                long remaining =
                    cp != null
                        ? cp.getRemainingTokens()
                        : java.util.Objects.requireNonNull(ap).getRemainingTokens();
                ctx.put(SHARED_REMAINING, remaining);
                admit(ctx, client, remaining);
              });
    }

    /**
     * Lowers the local bucket of {@code policy} to the {@code shared} units Redis reported, when it
     * holds more: the requests that follow are refused here, without asking Redis, until it has
     * refilled as far as the shared one will have (both refill at the same rate).
     */
    private void holdAtMost(Policy policy, @Nullable String client, String address, long shared) {
      Bucket local =
          policy == Policy.CLIENT ? clients.getIfPresent(client) : addresses.getIfPresent(address);
      if (local != null) {
        long excess = local.getAvailableTokens() - Math.max(0, shared);
        if (excess > 0) {
          local.tryConsumeAsMuchAsPossible(excess);
        }
      }
    }

    /** Puts back what {@link #charge} took from this process's buckets. */
    private void giveBackLocally(@Nullable String client, String address) {
      giveBack(client, address, cost);
    }

    void refund(RoutingContext ctx) {
      String client = client(ctx);
      String address = address(ctx.request());
      giveBackLocally(client, address);
      Long sharedRemaining = ctx.get(SHARED_REMAINING);
      if (sharedRemaining != null && shared != null) {
        // Redis decided the admission: give its units back, and report what it said plus those
        shared.giveBack(client == null ? null : shared.client(client), cost);
        shared.giveBack(addressQuota > 0 ? shared.address(address) : null, cost);
        ctx.response()
            .putHeader(RATE_LIMIT, serviceLimit(reported(client), sharedRemaining + cost));
        return;
      }
      Bucket c = client == null ? null : clients.getIfPresent(client);
      Bucket a = addressQuota > 0 ? addresses.getIfPresent(address) : null;
      Bucket shown = client != null ? c : addressQuota > 0 ? a : global;
      if (shown != null) {
        ctx.response()
            .putHeader(RATE_LIMIT, serviceLimit(reported(client), shown.getAvailableTokens()));
      }
    }

    private void refuse(RoutingContext ctx, Policy policy, String client, String address) {
      Bucket bucket =
          switch (policy) {
            case CLIENT -> clients.getIfPresent(client);
            case IP -> addresses.getIfPresent(address);
            case GLOBAL -> global;
          };
      long available = bucket == null ? quota(policy) : bucket.getAvailableTokens();
      long wait =
          bucket == null ? 0 : bucket.estimateAbilityToConsume(cost).getNanosToWaitForRefill();
      refuse(ctx, policy, client, available, wait);
    }

    private void refuse(
        RoutingContext ctx, Policy policy, @Nullable String client, long available, long wait) {
      long quota = quota(policy);
      long retryAfter =
          Math.max(1, Math.min(windowSeconds, (wait + 999_999_999L) / 1_000_000_000L));
      refusals[policy.ordinal()].increment();
      Tracing.current().ifPresent(t -> t.markLimited());
      ctx.response()
          .putHeader(RETRY_AFTER, Long.toString(retryAfter))
          .putHeader(RATE_LIMIT_POLICY, client == null ? policyWithoutClient : policyWithClient)
          .putHeader(RATE_LIMIT, serviceLimit(policy, quota, available));
      ctx.fail(
          new ProblemException(
              ProblemType.RATE_LIMITED,
              "The "
                  + policy.name().toLowerCase(java.util.Locale.ROOT)
                  + " quota is spent: this request costs "
                  + cost
                  + " units, "
                  + Math.max(0, available)
                  + " are left; retry in "
                  + retryAfter
                  + " s"));
    }
  }

  /**
   * Charges a request answered below Vert.x ({@code edge.PreparedRead}), authenticated as {@code
   * principal}, from {@code address}, as the route's check would: true, with the {@code
   * RateLimit-Policy} and {@code RateLimit} values its response carries put in {@code into}; false,
   * with nothing taken, when a bucket lacks the units or when the shared buckets (Redis) would have
   * to be asked, so that the request goes the ordinary way (which refuses it with its 429, or asks
   * Redis). {@code into} is the caller's, reused from request to request: nothing is allocated.
   */
  public boolean chargeBelow(Principal principal, String address, int cost, Charged into) {
    if (shared != null) {
      return false;
    }
    String client =
        clientQuota <= 0 || principal == Principal.UNRESTRICTED ? null : principal.subject();
    long outcome = charge(client, address, cost);
    if (outcome < 0) {
      return false;
    }
    Policy policy = reported(client);
    long quota = quota(policy);
    long r = left(quota, outcome);
    into.policy = client == null ? policyWithoutClient : policyWithClient;
    into.reported = policy.quotedAscii;
    into.left = r;
    into.reset = reset(quota, r);
    return true;
  }

  /**
   * Gives back what {@link #chargeBelow} took for a request that then went the ordinary way after
   * all (its miss could not be answered below Vert.x), whose route charges it again.
   */
  public void refundBelow(Principal principal, String address, int cost) {
    giveBack(
        clientQuota <= 0 || principal == Principal.UNRESTRICTED ? null : principal.subject(),
        address,
        cost);
  }

  /** Puts back {@code cost} units {@link #charge} took from this process's buckets. */
  private void giveBack(@Nullable String client, String address, int cost) {
    Bucket c = client == null ? null : clients.getIfPresent(client);
    Bucket a = addressQuota > 0 ? addresses.getIfPresent(address) : null;
    if (c != null) {
      c.addTokens(cost);
    }
    if (a != null) {
      a.addTokens(cost);
    }
    if (global != null) {
      global.addTokens(cost);
    }
  }

  /**
   * The headers of a request charged by {@link #chargeBelow}: {@code RateLimit-Policy: policy} and
   * {@code RateLimit: reported;r=left;t=reset}, as {@link #serviceLimit} writes the latter.
   */
  public static final class Charged {
    private AsciiString policy = AsciiString.EMPTY_STRING;
    private AsciiString reported = AsciiString.EMPTY_STRING;
    private long left;
    private long reset;

    public AsciiString policy() {
      return policy;
    }

    /** The reported policy's quoted name. */
    public AsciiString reported() {
      return reported;
    }

    /** The units left in the reported bucket. */
    public long left() {
      return left;
    }

    /** Whole seconds until the reported bucket is full again. */
    public long reset() {
      return reset;
    }
  }

  /**
   * Takes {@code cost} units from every bucket that applies. Returns the units left in the reported
   * bucket (the client's, else the address's, else the global one) when all had enough, else {@code
   * -(policy ordinal + 1)} of the first that lacked them (with nothing taken).
   */
  long charge(String client, String address, int cost) {
    Bucket c = client == null ? null : clients.get(client, newClientBucket);
    Bucket a = addressQuota > 0 ? addresses.get(address, newAddressBucket) : null;
    long remaining = -1;
    if (c != null) {
      ConsumptionProbe probe = c.tryConsumeAndReturnRemaining(cost);
      if (!probe.isConsumed()) {
        return -(Policy.CLIENT.ordinal() + 1);
      }
      remaining = probe.getRemainingTokens();
    }
    if (a != null) {
      if (remaining >= 0) {
        if (!a.tryConsume(cost)) {
          c.addTokens(cost);
          return -(Policy.IP.ordinal() + 1);
        }
      } else {
        ConsumptionProbe probe = a.tryConsumeAndReturnRemaining(cost);
        if (!probe.isConsumed()) {
          return -(Policy.IP.ordinal() + 1);
        }
        remaining = probe.getRemainingTokens();
      }
    }
    if (global != null) {
      boolean reportedHere = remaining < 0;
      long left;
      if (reportedHere) {
        ConsumptionProbe probe = global.tryConsumeAndReturnRemaining(cost);
        left = probe.isConsumed() ? probe.getRemainingTokens() : -1;
      } else {
        left = global.tryConsume(cost) ? 0 : -1;
      }
      if (left < 0) {
        if (c != null) {
          c.addTokens(cost);
        }
        if (a != null) {
          a.addTokens(cost);
        }
        return -(Policy.GLOBAL.ordinal() + 1);
      }
      if (reportedHere) {
        remaining = left;
      }
    }
    return Math.max(0, remaining);
  }

  /** The client a request is charged to, or null (public routes; auth off without a header). */
  private String client(RoutingContext ctx) {
    if (clientQuota <= 0) {
      return null;
    }
    Principal principal = Principal.of(ctx);
    if (principal != Principal.UNRESTRICTED) {
      return principal.subject();
    }
    if (clientHeaderTrusted) {
      String id = ctx.request().getHeader(ClientIdentity.HEADER);
      if (id != null && ClientIdentity.printable(id, 128)) {
        return id;
      }
    }
    return null;
  }

  private static String address(HttpServerRequest request) {
    // a gRPC call or GraphQL write, sent in process, has its caller as its peer
    return ClientAddress.of(request);
  }

  private Policy reported(String client) {
    return client != null ? Policy.CLIENT : addressQuota > 0 ? Policy.IP : Policy.GLOBAL;
  }

  private long quota(Policy policy) {
    return switch (policy) {
      case CLIENT -> clientQuota;
      case IP -> addressQuota;
      case GLOBAL -> globalQuota;
    };
  }

  private String serviceLimit(Policy policy, long remaining) {
    return serviceLimit(policy, quota(policy), remaining);
  }

  /**
   * {@code "client";r=R;t=T}: R units left, T whole seconds until the bucket is full again (it
   * refills quota units per window, evenly).
   */
  private String serviceLimit(Policy policy, long quota, long remaining) {
    long r = left(quota, remaining);
    return policy.quoted + ";r=" + r + ";t=" + reset(quota, r);
  }

  private static long left(long quota, long remaining) {
    return Math.max(0, Math.min(quota, remaining));
  }

  /** Whole seconds until a bucket with {@code r} units left is full again. */
  private long reset(long quota, long r) {
    return ((quota - r) * windowSeconds + quota - 1) / quota;
  }

  /** Clients tracked now (after pending evictions, for tests and metrics). */
  long trackedClients() {
    clients.cleanUp();
    return clients.estimatedSize();
  }

  /** Addresses tracked now (after pending evictions). */
  long trackedAddresses() {
    addresses.cleanUp();
    return addresses.estimatedSize();
  }
}
