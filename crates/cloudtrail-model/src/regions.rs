//! AWS regions and the partitions they belong to (botocore's `partitions.json`): which region
//! names are real, and which partition (`aws`, `aws-cn`, `aws-us-gov`, …) a region is in, so
//! that credentials name a real region and trails never mix partitions.

/// Every region, with its partition, as botocore's `partitions.json` lists them.
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "aws"),
    ("ap-east-1", "aws"),
    ("ap-east-2", "aws"),
    ("ap-northeast-1", "aws"),
    ("ap-northeast-2", "aws"),
    ("ap-northeast-3", "aws"),
    ("ap-south-1", "aws"),
    ("ap-south-2", "aws"),
    ("ap-southeast-1", "aws"),
    ("ap-southeast-2", "aws"),
    ("ap-southeast-3", "aws"),
    ("ap-southeast-4", "aws"),
    ("ap-southeast-5", "aws"),
    ("ap-southeast-6", "aws"),
    ("ap-southeast-7", "aws"),
    ("ca-central-1", "aws"),
    ("ca-west-1", "aws"),
    ("cn-north-1", "aws-cn"),
    ("cn-northwest-1", "aws-cn"),
    ("eu-central-1", "aws"),
    ("eu-central-2", "aws"),
    ("eu-isoe-west-1", "aws-iso-e"),
    ("eu-north-1", "aws"),
    ("eu-south-1", "aws"),
    ("eu-south-2", "aws"),
    ("eu-west-1", "aws"),
    ("eu-west-2", "aws"),
    ("eu-west-3", "aws"),
    ("eusc-de-east-1", "aws-eusc"),
    ("il-central-1", "aws"),
    ("me-central-1", "aws"),
    ("me-south-1", "aws"),
    ("me-west-1", "aws"),
    ("mx-central-1", "aws"),
    ("sa-east-1", "aws"),
    ("sa-west-1", "aws"),
    ("us-east-1", "aws"),
    ("us-east-2", "aws"),
    ("us-gov-east-1", "aws-us-gov"),
    ("us-gov-west-1", "aws-us-gov"),
    ("us-iso-east-1", "aws-iso"),
    ("us-iso-west-1", "aws-iso"),
    ("us-isob-east-1", "aws-iso-b"),
    ("us-isob-west-1", "aws-iso-b"),
    ("us-isof-east-1", "aws-iso-f"),
    ("us-isof-south-1", "aws-iso-f"),
    ("us-west-1", "aws"),
    ("us-west-2", "aws"),
];

/// Whether `region` is a region AWS has (a name a request's credentials may be scoped to).
pub fn is_known(region: &str) -> bool {
    REGIONS.binary_search_by(|(name, _)| (*name).cmp(region)).is_ok()
}

/// The partition of `region`: from the table for known regions, else by the partitions'
/// naming rules (`cn-…` is `aws-cn`, `us-gov-…` is `aws-us-gov`, …), else `aws`.
pub fn partition_of(region: &str) -> &'static str {
    if let Ok(index) = REGIONS.binary_search_by(|(name, _)| (*name).cmp(region)) {
        return REGIONS[index].1;
    }
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES.iter().find(|(prefix, _)| region.starts_with(prefix)).map_or("aws", |(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_every_name_is_a_region() {
        assert!(REGIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(REGIONS.iter().all(|(name, _)| crate::arn::is_region(name)));
        // Each known region's partition agrees with the naming rules.
        for (name, partition) in REGIONS {
            let by_rule = partition_of(&format!("{name}x"));
            assert_eq!(by_rule, *partition, "{name}");
        }
    }

    #[test]
    fn partitions_and_known_regions() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_of("cn-future-9"), "aws-cn");
        assert_eq!(partition_of(""), "aws");
        assert!(is_known("eu-west-1") && is_known("cn-northwest-1"));
        assert!(!is_known("xx-fake-1") && !is_known("us-east-7") && !is_known("US-EAST-1"));
    }
}
