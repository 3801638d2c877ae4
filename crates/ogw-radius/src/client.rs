//! A minimal accounting client: builds Accounting-Requests as a GGSN/PGW/SMF sends them, and
//! sends one and waits for its answer. For tests, benchmarks and smoke checks of a deployment.
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ogw_core::network::accounting::AcctStatus;
use radius::core::avp::AVP;
use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc3162};
use tokio::net::UdpSocket;

use crate::packet::{VENDOR_3GPP, VSA_3GPP_IMSI};

#[derive(Debug, Clone)]
pub struct AccountingRequest {
    identifier: u8,
    status: AcctStatus,
    session_id: String,
    framed_ip: Option<Ipv4Addr>,
    framed_ipv6_prefix: Option<(Ipv6Addr, u8)>,
    calling_station_id: Option<String>,
    imsi: Option<String>,
    session_time: Option<u32>,
}

impl AccountingRequest {
    pub fn new(identifier: u8, status: AcctStatus, session_id: &str) -> Self {
        Self {
            identifier,
            status,
            session_id: session_id.to_owned(),
            framed_ip: None,
            framed_ipv6_prefix: None,
            calling_station_id: None,
            imsi: None,
            session_time: None,
        }
    }
    pub fn framed_ip(mut self, ip: Ipv4Addr) -> Self {
        self.framed_ip = Some(ip);
        self
    }
    pub fn framed_ipv6_prefix(mut self, prefix: Ipv6Addr, len: u8) -> Self {
        self.framed_ipv6_prefix = Some((prefix, len));
        self
    }
    pub fn calling_station_id(mut self, msisdn: &str) -> Self {
        self.calling_station_id = Some(msisdn.to_owned());
        self
    }
    pub fn imsi(mut self, imsi: &str) -> Self {
        self.imsi = Some(imsi.to_owned());
        self
    }
    pub fn session_time(mut self, secs: u32) -> Self {
        self.session_time = Some(secs);
        self
    }

    /// The packet, with its Request Authenticator computed from `secret` (RFC 2866 §3).
    pub fn encode(&self, secret: &[u8]) -> Result<Vec<u8>, String> {
        let mut p = Packet::new_with_identifier(Code::AccountingRequest, secret, self.identifier);
        let status = match self.status {
            AcctStatus::Start => rfc2866::ACCT_STATUS_TYPE_START,
            AcctStatus::Stop => rfc2866::ACCT_STATUS_TYPE_STOP,
            AcctStatus::InterimUpdate => rfc2866::ACCT_STATUS_TYPE_INTERIM_UPDATE,
            AcctStatus::AccountingOn => rfc2866::ACCT_STATUS_TYPE_ACCOUNTING_ON,
            AcctStatus::AccountingOff => rfc2866::ACCT_STATUS_TYPE_ACCOUNTING_OFF,
        };
        rfc2866::add_acct_status_type(&mut p, status);
        rfc2866::add_acct_session_id(&mut p, &self.session_id);
        if let Some(ip) = &self.framed_ip {
            rfc2865::add_framed_ip_address(&mut p, ip);
        }
        if let Some((prefix, len)) = self.framed_ipv6_prefix {
            let bytes = usize::from(len.div_ceil(8)).min(16);
            let avp =
                AVP::from_ipv6_prefix(rfc3162::FRAMED_IPV6_PREFIX_TYPE, &prefix.octets()[..bytes])
                    .map_err(|e| e.to_string())?;
            p.add(avp);
        }
        if let Some(m) = &self.calling_station_id {
            rfc2865::add_calling_station_id(&mut p, m);
        }
        if let Some(imsi) = &self.imsi {
            let mut v = VENDOR_3GPP.to_be_bytes().to_vec();
            let len = u8::try_from(imsi.len() + 2).map_err(|_| "IMSI too long".to_owned())?;
            v.extend_from_slice(&[VSA_3GPP_IMSI, len]);
            v.extend_from_slice(imsi.as_bytes());
            p.add(AVP::from_bytes(26, &v));
        }
        if let Some(t) = self.session_time {
            rfc2866::add_acct_session_time(&mut p, t);
        }
        p.encode().map_err(|e| e.to_string())
    }
}

/// Sends `request` from `socket` to `server` and waits up to `timeout` for an authentic
/// Accounting-Response with its identifier. `Ok(false)` on timeout (no answer).
pub async fn send(
    socket: &UdpSocket,
    server: SocketAddr,
    request: &[u8],
    secret: &[u8],
    timeout: Duration,
) -> std::io::Result<bool> {
    socket.send_to(request, server).await?;
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let got = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await;
        let Ok(got) = got else {
            return Ok(false);
        };
        let (n, _) = got?;
        let resp = &buf[..n];
        if n >= 20
            && resp[0] == Code::AccountingResponse as u8
            && request.get(1) == Some(&resp[1])
            && Packet::is_authentic_response(resp, request, secret)
        {
            return Ok(true);
        }
    }
}
