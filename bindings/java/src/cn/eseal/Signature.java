package cn.eseal;

import java.util.List;

/** The verdict on one signature (or certificate, or licence) of a report. */
public final class Signature {
    private final String kind;
    private final Indication indication;
    private final String subIndication;
    private final List<String> reasons;
    private final String signer;
    private final String sealName;
    private final String signingTime;

    Signature(
            String kind,
            Indication indication,
            String subIndication,
            List<String> reasons,
            String signer,
            String sealName,
            String signingTime) {
        this.kind = kind;
        this.indication = indication;
        this.subIndication = subIndication;
        this.reasons = List.copyOf(reasons);
        this.signer = signer;
        this.sealName = sealName;
        this.signingTime = signingTime;
    }

    /** What was verified, e.g. {@code "pdf-signature"}, {@code "ofd-seal-signature"}, {@code "licence"}. */
    public String kind() {
        return kind;
    }

    /** The verdict. */
    public Indication indication() {
        return indication;
    }

    /** The sub-indication, e.g. {@code "REVOKED"}; null when TOTAL-PASSED. */
    public String subIndication() {
        return subIndication;
    }

    /** The codes of the reasons it is not TOTAL-PASSED, e.g. {@code "CERTIFICATE_REVOKED"}. */
    public List<String> reasons() {
        return reasons;
    }

    /** The signer (certificate subject), or null. */
    public String signer() {
        return signer;
    }

    /** The name of the e-seal, or null. */
    public String sealName() {
        return sealName;
    }

    /** The signing time (RFC 3339), or null. */
    public String signingTime() {
        return signingTime;
    }
}
