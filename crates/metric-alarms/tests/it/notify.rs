//! §8 alarm messages, §9.3 SNS envelopes and the Slack body.

use metric_alarms::{
    Alarm, AlarmNotification, ConfirmationType, LowSampleCountPercentile, MetricId,
    MetricStatistic, Observation, Series, SignatureVersion, SnsConfirmation, SnsEnvelope,
    StateUpdate, TreatMissingData, Unit,
};

use crate::{ACCOUNT_ID, CIS_TOPIC, REGION, at, cis_root_usage, settled, shared_dir};

/// The §8 example message as the spec prints it, on one line.
const SPEC_EXAMPLE: &str = r#"{"AlarmName":"CIS-4.3-RootUsage","AlarmDescription":"Root account used","AWSAccountId":"111122223333","AlarmConfigurationUpdatedTimestamp":"2024-05-01T11:00:00.000+0000","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/05/24 12:01:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).","StateChangeTime":"2024-05-01T12:06:00.412+0000","Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:111122223333:alarm:CIS-4.3-RootUsage","OldStateValue":"OK","OKActions":[],"AlarmActions":["arn:aws:sns:us-east-1:111122223333:cis-alarms"],"InsufficientDataActions":[],"Trigger":{"MetricName":"RootAccountUsage","Namespace":"CISBenchmark","StatisticType":"Statistic","Statistic":"SUM","Unit":null,"Dimensions":[],"Period":300,"EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":1.0,"TreatMissingData":"- TreatMissingData:                    notBreaching","EvaluateLowSampleCountPercentile":""}}"#;

/// The root-usage alarm, settled in OK, then a root sign-in at 12:03 evaluated at
/// 12:06:00.412: the scene of the §8 example.
fn root_usage_alarm_fires() -> (Alarm, StateUpdate) {
    let config = cis_root_usage();
    let mut series = Series::for_alarm(&config);
    let mut alarm = settled(config, &series);
    let sign_in = Observation { timestamp_ms: at(12, 3) + 21_000, value: 1.0, unit: None };
    series.record(&sign_in, at(12, 3) + 25_000).unwrap();
    let evaluation = alarm.evaluate(&series, at(12, 6) + 412).unwrap();
    let update = evaluation.update.expect("OK -> ALARM");
    assert_eq!(update.actions, [CIS_TOPIC]);
    (alarm, update)
}

#[test]
fn alarm_message_reproduces_the_spec_example() {
    let (alarm, update) = root_usage_alarm_fires();
    let notification = AlarmNotification {
        alarm: &alarm,
        update: &update,
        account_id: ACCOUNT_ID,
        region: REGION,
    };
    assert_eq!(notification.message(), SPEC_EXAMPLE);
    assert_eq!(notification.subject(), r#"ALARM: "CIS-4.3-RootUsage" in US East (N. Virginia)"#);
    assert_eq!(
        notification.alarm_arn(),
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:CIS-4.3-RootUsage"
    );
}

/// The embedded example is the spec's, byte for byte once the line breaks are removed.
#[test]
fn spec_example_is_copied_exactly() {
    let path = shared_dir().join("spec/alarms.md");
    let spec =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read `{}`: {e}", path.display()));
    let after = spec.split("Example (one line in practice):").nth(1).expect("§8 example");
    let block =
        after.split("```json").nth(1).and_then(|b| b.split("```").next()).expect("json block");
    let one_line: String = block.lines().map(str::trim_start).collect();
    assert_eq!(one_line, SPEC_EXAMPLE);
}

#[test]
fn percentile_trigger_with_unit_and_dimensions() {
    let mut config = cis_root_usage();
    config.alarm_name = "api-latency".to_owned();
    config.alarm_description = None;
    config.metric = MetricId::new("OpenTrail", "Latency")
        .with_dimension("Operation", "LookupEvents")
        .with_dimension("Region", "us-east-1");
    config.statistic = MetricStatistic::ExtendedStatistic("p99.9".parse().unwrap());
    config.unit = Some(Unit::Milliseconds);
    config.period_seconds = 60;
    config.evaluation_periods = 3;
    config.datapoints_to_alarm = Some(2);
    config.comparison_operator = "GreaterThanThreshold".parse().unwrap();
    config.threshold = 250.5;
    config.treat_missing_data = TreatMissingData::Missing;
    config.evaluate_low_sample_count_percentile = Some(LowSampleCountPercentile::Ignore);
    config.ok_actions = vec![CIS_TOPIC.to_owned()];
    let mut alarm = Alarm::create(config, at(11, 0)).unwrap();
    let update = alarm.set_state("OK".parse().unwrap(), "testing", None, at(11, 30)).unwrap();
    let message = AlarmNotification {
        alarm: &alarm,
        update: &update,
        account_id: ACCOUNT_ID,
        region: "eu-west-1",
    }
    .message();
    let trigger = message.split(r#""Trigger":"#).nth(1).unwrap();
    assert_eq!(
        trigger,
        r#"{"MetricName":"Latency","Namespace":"OpenTrail","StatisticType":"ExtendedStatistic","ExtendedStatistic":"p99.9","Unit":"Milliseconds","Dimensions":[{"value":"LookupEvents","name":"Operation"},{"value":"us-east-1","name":"Region"}],"Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":2,"ComparisonOperator":"GreaterThanThreshold","Threshold":250.5,"TreatMissingData":"- TreatMissingData:                    missing","EvaluateLowSampleCountPercentile":"ignore"}}"#
    );
    assert!(message.starts_with(r#"{"AlarmName":"api-latency","AlarmDescription":null,"#));
    assert!(message.contains(r#""NewStateValue":"OK","NewStateReason":"testing","#));
    assert!(message.contains(r#""Region":"Europe (Ireland)","#));
    assert!(message.contains(r#""OldStateValue":"INSUFFICIENT_DATA","#));
}

#[test]
fn subject_is_cut_to_one_hundred_characters() {
    let (mut alarm, _) = root_usage_alarm_fires();
    let mut config = alarm.config().clone();
    config.alarm_name = "é".repeat(255);
    let mut alarm_renamed = Alarm::create(config, at(12, 7)).unwrap();
    let update = alarm_renamed.set_state("ALARM".parse().unwrap(), "r", None, at(12, 8)).unwrap();
    let subject = AlarmNotification {
        alarm: &alarm_renamed,
        update: &update,
        account_id: ACCOUNT_ID,
        region: REGION,
    }
    .subject();
    assert_eq!(subject.chars().count(), 100);
    assert_eq!(subject, format!("ALARM: \"{}", "é".repeat(92)));
    // Unknown regions display as their code.
    let update = alarm.set_state("OK".parse().unwrap(), "r", None, at(12, 9)).unwrap();
    let subject = AlarmNotification {
        alarm: &alarm,
        update: &update,
        account_id: ACCOUNT_ID,
        region: "home-lab-1",
    }
    .subject();
    assert_eq!(subject, r#"OK: "CIS-4.3-RootUsage" in home-lab-1"#);
}

fn envelope() -> SnsEnvelope {
    SnsEnvelope {
        message_id: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324".to_owned(),
        topic_arn: CIS_TOPIC.to_owned(),
        timestamp_ms: at(12, 6) + 655,
        signature_version: SignatureVersion::V1,
        signing_cert_url: "https://opentrail.example/sns/cert.pem".to_owned(),
        unsubscribe_url: "https://opentrail.example/sns/unsubscribe?SubscriptionArn=arn:aws:sns:us-east-1:111122223333:cis-alarms:9c1c0a8e".to_owned(),
    }
}

#[test]
fn sns_notification_envelope_and_string_to_sign() {
    let (alarm, update) = root_usage_alarm_fires();
    let notification = AlarmNotification {
        alarm: &alarm,
        update: &update,
        account_id: ACCOUNT_ID,
        region: REGION,
    }
    .sns_notification(envelope());
    assert_eq!(notification.message, SPEC_EXAMPLE);
    assert_eq!(
        notification.string_to_sign(),
        format!(
            "Message\n{SPEC_EXAMPLE}\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nALARM: \"CIS-4.3-RootUsage\" in US East (N. Virginia)\nTimestamp\n2024-05-01T12:06:00.655Z\nTopicArn\n{CIS_TOPIC}\nType\nNotification\n"
        )
    );
    let escaped_message = SPEC_EXAMPLE.replace('"', "\\\"");
    assert_eq!(
        notification.body("c2lnbmF0dXJl"),
        format!(
            r#"{{"Type":"Notification","MessageId":"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324","TopicArn":"{CIS_TOPIC}","Subject":"ALARM: \"CIS-4.3-RootUsage\" in US East (N. Virginia)","Message":"{escaped_message}","Timestamp":"2024-05-01T12:06:00.655Z","SignatureVersion":"1","Signature":"c2lnbmF0dXJl","SigningCertURL":"https://opentrail.example/sns/cert.pem","UnsubscribeURL":"https://opentrail.example/sns/unsubscribe?SubscriptionArn=arn:aws:sns:us-east-1:111122223333:cis-alarms:9c1c0a8e"}}"#
        )
    );
    let headers = notification.headers("arn:aws:sns:us-east-1:111122223333:cis-alarms:9c1c0a8e");
    let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "x-amz-sns-message-type",
            "x-amz-sns-message-id",
            "x-amz-sns-topic-arn",
            "x-amz-sns-subscription-arn",
            "Content-Type",
            "User-Agent"
        ]
    );
    assert_eq!(headers[0].1, "Notification");
    assert_eq!(headers[4].1, "text/plain; charset=UTF-8");
    assert_eq!(headers[5].1, "Amazon Simple Notification Service Agent");

    // Without a subject, neither the body nor the string to sign has one.
    let mut plain = notification.clone();
    plain.subject = None;
    plain.message = "line one\nline \"two\"".to_owned();
    plain.signature_version = SignatureVersion::V2;
    assert_eq!(
        plain.string_to_sign(),
        format!(
            "Message\nline one\nline \"two\"\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nTimestamp\n2024-05-01T12:06:00.655Z\nTopicArn\n{CIS_TOPIC}\nType\nNotification\n"
        )
    );
    let body = plain.body("c2ln");
    assert!(!body.contains("Subject"));
    assert!(body.contains(r#""Message":"line one\nline \"two\"","#));
    assert!(body.contains(r#""SignatureVersion":"2","#));
}

#[test]
fn sns_confirmations() {
    let confirmation = SnsConfirmation {
        confirmation_type: ConfirmationType::SubscriptionConfirmation,
        message_id: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b".to_owned(),
        token: "2336412f37".to_owned(),
        topic_arn: CIS_TOPIC.to_owned(),
        message: format!(
            "You have chosen to subscribe to the topic {CIS_TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
        ),
        subscribe_url: "https://opentrail.example/sns/confirm?Token=2336412f37".to_owned(),
        timestamp_ms: at(12, 0) + 1,
        signature_version: SignatureVersion::V2,
        signing_cert_url: "https://opentrail.example/sns/cert.pem".to_owned(),
    };
    assert_eq!(
        confirmation.string_to_sign(),
        format!(
            "Message\n{}\nMessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\nSubscribeURL\nhttps://opentrail.example/sns/confirm?Token=2336412f37\nTimestamp\n2024-05-01T12:00:00.001Z\nToken\n2336412f37\nTopicArn\n{CIS_TOPIC}\nType\nSubscriptionConfirmation\n",
            confirmation.message
        )
    );
    assert_eq!(
        confirmation.body("c2ln"),
        format!(
            r#"{{"Type":"SubscriptionConfirmation","MessageId":"165545c9-2a5c-472c-8df2-7ff2be2b3b1b","Token":"2336412f37","TopicArn":"{CIS_TOPIC}","Message":"You have chosen to subscribe to the topic {CIS_TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.","SubscribeURL":"https://opentrail.example/sns/confirm?Token=2336412f37","Timestamp":"2024-05-01T12:00:00.001Z","SignatureVersion":"2","Signature":"c2ln","SigningCertURL":"https://opentrail.example/sns/cert.pem"}}"#
        )
    );
    // No subscription ARN header on SubscriptionConfirmation, one on UnsubscribeConfirmation.
    let subscription_arn = "arn:aws:sns:us-east-1:111122223333:cis-alarms:9c1c0a8e";
    assert!(
        confirmation
            .headers(Some(subscription_arn))
            .iter()
            .all(|(name, _)| *name != "x-amz-sns-subscription-arn")
    );
    let mut unsubscribe = confirmation.clone();
    unsubscribe.confirmation_type = ConfirmationType::UnsubscribeConfirmation;
    let headers = unsubscribe.headers(Some(subscription_arn));
    assert_eq!(headers[0], ("x-amz-sns-message-type", "UnsubscribeConfirmation".to_owned()));
    assert_eq!(headers[3], ("x-amz-sns-subscription-arn", subscription_arn.to_owned()));
    assert!(unsubscribe.string_to_sign().ends_with("Type\nUnsubscribeConfirmation\n"));
}

#[test]
fn slack_message() {
    let (alarm, update) = root_usage_alarm_fires();
    let slack = AlarmNotification {
        alarm: &alarm,
        update: &update,
        account_id: ACCOUNT_ID,
        region: REGION,
    }
    .slack_message();
    assert_eq!(
        slack,
        r#"{"text":"*ALARM*: \"CIS-4.3-RootUsage\" in US East (N. Virginia) (was OK) at 2024-05-01 12:06:00 UTC\nThreshold Crossed: 1 out of the last 1 datapoints [1.0 (01/05/24 12:01:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -&gt; ALARM transition)."}"#
    );
    let mut config = alarm.config().clone();
    config.alarm_name = "a<b>&c".to_owned();
    let mut odd = Alarm::create(config, at(12, 0)).unwrap();
    let update = odd.set_state("ALARM".parse().unwrap(), "x < y", None, at(12, 1)).unwrap();
    let slack =
        AlarmNotification { alarm: &odd, update: &update, account_id: ACCOUNT_ID, region: REGION }
            .slack_message();
    assert!(slack.contains(r#"\"a&lt;b&gt;&amp;c\""#), "{slack}");
    assert!(slack.ends_with(r#"\nx &lt; y"}"#), "{slack}");
}
