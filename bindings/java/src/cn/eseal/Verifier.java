package cn.eseal;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Verifies sealed PDFs, OFD packages, GB/T 38540 seals and licence QR strings against a trust
 * store it owns (an {@code eseal_trust_store}): anchors, intermediates, CRLs, the licence trust
 * list and status lists. Any number of threads may share one; {@link #close} waits for the
 * calls in progress and frees the store. A verifier never closed is freed when it becomes
 * unreachable, but close it (try-with-resources) rather than rely on that.
 *
 * <pre>{@code
 * try (Verifier verifier = new Verifier()) {
 *     verifier.addAnchors(Files.readAllBytes(Path.of("root.pem")));
 *     Report report = verifier.verify(Files.readAllBytes(Path.of("licence.pdf")));
 *     System.out.println(report.indication() + " " + report.reasons());
 * }
 * }</pre>
 */
public final class Verifier implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final EsealLibrary LIB = EsealLibrary.LIB;

    private final Pointer store;
    private final Cleaner.Cleanable cleanable;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    /** Frees the store once, from {@link #close} or when the verifier is unreachable. */
    private static final class Free implements Runnable {
        private final Pointer store;

        Free(Pointer store) {
            this.store = store;
        }

        @Override
        public void run() {
            LIB.eseal_trust_store_free(store);
        }
    }

    /** A verifier with an empty trust store. */
    public Verifier() throws EsealException {
        PointerByReference out = new PointerByReference();
        EsealException.check(LIB.eseal_trust_store_new(out), "trust store");
        store = out.getValue();
        cleanable = CLEANER.register(this, new Free(store));
    }

    /** The version of the eseal library loaded, e.g. {@code "0.1.0"}. */
    public static String version() {
        return EsealLibrary.text(LIB.eseal_version());
    }

    /** Adds trust anchors: certificates as a PEM bundle or DER. */
    public void addAnchors(byte[] certificates) throws EsealException {
        Lock read = open();
        try {
            EsealException.check(
                    LIB.eseal_trust_store_add_anchors(store, certificates, size(certificates)),
                    "anchors");
        } finally {
            read.unlock();
        }
    }

    /** Adds intermediate CA certificates (PEM bundle or DER) that chains may go through. */
    public void addIntermediates(byte[] certificates) throws EsealException {
        Lock read = open();
        try {
            EsealException.check(
                    LIB.eseal_trust_store_add_intermediates(
                            store, certificates, size(certificates)),
                    "intermediates");
        } finally {
            read.unlock();
        }
    }

    /** Adds a CRL (RFC 5280; PEM or DER). */
    public void addCrl(byte[] crl) throws EsealException {
        Lock read = open();
        try {
            EsealException.check(LIB.eseal_trust_store_add_crl(store, crl, size(crl)), "CRL");
        } finally {
            read.unlock();
        }
    }

    /**
     * Adds the licence trust list (COSE), verified against the anchors as of now; add the
     * anchors first.
     */
    public void addTrustList(byte[] trustList) throws EsealException {
        addTrustList(trustList, null);
    }

    /** Adds the licence trust list, verified against the anchors as of {@code at} (null: now). */
    public void addTrustList(byte[] trustList, Instant at) throws EsealException {
        Lock read = open();
        try {
            EsealException.check(
                    LIB.eseal_trust_store_add_trust_list(
                            store, trustList, size(trustList), seconds(at)),
                    "trust list");
        } finally {
            read.unlock();
        }
    }

    /**
     * Adds a licence status list (Token Status List CWT). For one URI the list issued last
     * decides; an older one is refused ({@code ESEAL_REFUSED}).
     */
    public void addStatusList(byte[] statusList) throws EsealException {
        Lock read = open();
        try {
            EsealException.check(
                    LIB.eseal_trust_store_add_status_list(store, statusList, size(statusList)),
                    "status list");
        } finally {
            read.unlock();
        }
    }

    /** Verifies a document, seal, certificate or QR string's bytes as of now. */
    public Report verify(byte[] input) throws EsealException {
        return verify(input, null);
    }

    /** Verifies a licence QR string ({@code ZZ1:...}) as of now. */
    public Report verify(String qr) throws EsealException {
        return verify(qr.strip().getBytes(StandardCharsets.UTF_8), null);
    }

    /** Verifies a licence QR string as of {@code at} (null: now). */
    public Report verify(String qr, Instant at) throws EsealException {
        return verify(qr.strip().getBytes(StandardCharsets.UTF_8), at);
    }

    /**
     * Verifies {@code input} as of {@code at} (null: now). A verdict, even TOTAL-FAILED, is a
     * report; input eseal cannot classify throws ({@code ESEAL_MALFORMED_INPUT}).
     */
    public Report verify(byte[] input, Instant at) throws EsealException {
        PointerByReference out = new PointerByReference();
        Lock read = open();
        try {
            EsealException.check(
                    LIB.eseal_verify(store, input, size(input), seconds(at), out), "verify");
        } finally {
            read.unlock();
        }
        Pointer report = out.getValue();
        try {
            return read(report);
        } finally {
            LIB.eseal_report_free(report);
        }
    }

    /** Frees the trust store, after the calls in progress; later calls throw. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                cleanable.clean();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The read lock, held; IllegalStateException after {@link #close}. */
    private Lock open() {
        Lock read = lock.readLock();
        read.lock();
        if (closed) {
            read.unlock();
            throw new IllegalStateException("the verifier is closed");
        }
        return read;
    }

    private static EsealLibrary.SizeT size(byte[] data) {
        return new EsealLibrary.SizeT(data == null ? 0 : data.length);
    }

    private static long seconds(Instant at) {
        return at == null ? EsealLibrary.NOW : at.getEpochSecond();
    }

    /** Copies what a report says out of native memory. */
    private static Report read(Pointer report) {
        String json = EsealLibrary.text(LIB.eseal_report_json(report));
        List<?> parsed = signaturesOf(json);
        long count = LIB.eseal_report_signature_count(report).longValue();
        List<Signature> signatures = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            EsealLibrary.SizeT n = new EsealLibrary.SizeT(i);
            Map<?, ?> fields =
                    i < parsed.size() && parsed.get((int) i) instanceof Map<?, ?> m ? m : Map.of();
            List<String> reasons = new ArrayList<>();
            if (fields.get("reasons") instanceof List<?> listed) {
                for (Object reason : listed) {
                    if (reason instanceof Map<?, ?> r && r.get("code") instanceof String code) {
                        reasons.add(code);
                    }
                }
            }
            Object kind = fields.get("kind");
            signatures.add(
                    new Signature(
                            kind instanceof String ? (String) kind : null,
                            Indication.of(LIB.eseal_report_signature_indication(report, n)),
                            EsealLibrary.text(LIB.eseal_report_sub_indication(report, n)),
                            reasons,
                            EsealLibrary.text(LIB.eseal_report_signer(report, n)),
                            EsealLibrary.text(LIB.eseal_report_seal_name(report, n)),
                            EsealLibrary.text(LIB.eseal_report_signing_time(report, n))));
        }
        return new Report(
                Indication.of(LIB.eseal_report_indication(report)), signatures, json);
    }

    /** The {@code signatures} array of the JSON report. */
    private static List<?> signaturesOf(String json) {
        Object root = json == null ? null : Json.parse(json);
        if (root instanceof Map<?, ?> map && map.get("signatures") instanceof List<?> list) {
            return list;
        }
        return Collections.emptyList();
    }
}
