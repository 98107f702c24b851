/**
 * Landing freshness: one EventBridge rule per declared feed, matching "Object Created" events of the landing bucket
 * under the feed's key prefix. S3 has no per-prefix metric; the rule's `AWS/Events` `MatchedEvents` metric (dimension
 * `RuleName`) is one, and `DataOpsMonitoring` alarms when it has no datapoint for the feed's window. The bucket must
 * send its events to EventBridge (`DataLake` `landingEventBridge`).
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FeedConfig } from '../../lib/config/model';
import { FEED_PREFIX_PATTERN, MAX_FEED_WINDOW_SECONDS, MIN_FEED_WINDOW_SECONDS } from '../../lib/config/schema';
import { pascal } from '../../lib/naming';

/** Props of {@link LandingFeeds}. */
export interface LandingFeedsProps {
  /** The landing bucket (its events must go to EventBridge). */
  readonly bucket: s3.IBucket;
  /** The declared feeds, as this environment sees them. */
  readonly feeds: readonly FeedConfig[];
}

/** One declared feed with its rule and the metric its freshness alarm watches. */
export interface LandingFeed {
  readonly config: FeedConfig;
  /** The rule matching objects created under the feed's prefix. */
  readonly rule: events.Rule;
  /** `AWS/Events` `MatchedEvents` of the rule, summed over the feed's window. */
  readonly matchedEvents: cloudwatch.Metric;
}

/** The rules of the landing feeds of one environment. */
export class LandingFeeds extends Construct {
  public readonly feeds: readonly LandingFeed[];

  constructor(scope: Construct, id: string, props: LandingFeedsProps) {
    super(scope, id);
    const seen = new Set<string>();
    this.feeds = props.feeds.map((feed) => {
      if (seen.has(feed.name))
        throw new Error(`LandingFeeds: feeds must have unique names, got a second "${feed.name}"`);
      seen.add(feed.name);
      if (!Token.isUnresolved(feed.prefix) && !FEED_PREFIX_PATTERN.test(feed.prefix)) {
        throw new Error(
          `LandingFeeds: feeds[${feed.name}].prefix must be a relative key prefix in the landing bucket (no "." or ".." segments, no "//", not under "kitchens/"), got: ${JSON.stringify(feed.prefix)}`,
        );
      }
      if (
        !Number.isInteger(feed.windowSeconds) ||
        feed.windowSeconds % 60 !== 0 ||
        feed.windowSeconds < MIN_FEED_WINDOW_SECONDS ||
        feed.windowSeconds > MAX_FEED_WINDOW_SECONDS
      ) {
        throw new Error(
          `LandingFeeds: feeds[${feed.name}].windowSeconds must be whole minutes from ${MIN_FEED_WINDOW_SECONDS} to ${MAX_FEED_WINDOW_SECONDS} (CloudWatch evaluates at most 7 days), got: ${feed.windowSeconds}`,
        );
      }
      const rule = new events.Rule(this, `Feed${pascal(feed.name)}`, {
        description: `Objects created under ${feed.prefix} of the landing bucket (feed ${feed.name}, expected every ${feed.every})`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [props.bucket.bucketName] },
            object: { key: events.Match.prefix(feed.prefix) },
          },
        },
      });
      const matchedEvents = new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'MatchedEvents',
        dimensionsMap: { RuleName: rule.ruleName },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.seconds(feed.windowSeconds),
        label: `${feed.name}: objects created`,
      });
      return { config: feed, rule, matchedEvents };
    });
  }
}
